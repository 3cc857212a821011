"""A small catalogue whose one service takes answers from every register of the interface: the
company's registered name and address by its code (no agreement needed), the applicant's registered
residence from the population register (with their agreement), the site's land use by its address
code. Loaded through the loader, as a deployment loads its catalogue."""

import io
import textwrap

from django.core.management import call_command

from catalogue.models import Service

CATALOGUE = """\
registers:
  - {code: company, name: {en: Company register, zh-hans: 企业登记信息系统}}
  - {code: population, name: {en: Population register, zh-hans: 人口信息系统}, consent_required: true}
  - {code: address, name: {en: Address register, zh-hans: 标准地址信息系统}, consent_required: false}
departments:
  - {code: registration, name: {en: Business Registration, zh-hans: 登记注册}}
  - {code: planning, name: {en: Planning, zh-hans: 规划}}
fields:
  - key: business_name
    kind: text
    label: {en: Business name, zh-hans: 企业名称}
    section: {en: Your business, zh-hans: 经营信息}
    required: true
    max_length: 120
  - key: unified_social_credit_code
    kind: text
    label: {en: Unified social credit code, zh-hans: 统一社会信用代码}
    section: {en: Your business, zh-hans: 经营信息}
    max_length: 18
    format: uscc
  - key: company_registered_name
    kind: text
    label: {en: Registered company name, zh-hans: 企业登记名称}
    section: {en: Your business, zh-hans: 经营信息}
    max_length: 200
    register: {register: company, attribute: registered_name, key: unified_social_credit_code}
  - key: company_registered_address
    kind: text
    label: {en: Registered company address, zh-hans: 企业登记住所}
    section: {en: Your business, zh-hans: 经营信息}
    max_length: 300
    register: {register: company, attribute: registered_address, key: unified_social_credit_code}
  - key: registered_residence
    kind: text
    label: {en: Registered residence, zh-hans: 户籍地址}
    section: {en: Applicant, zh-hans: 申请人}
    max_length: 300
    register: {register: population, attribute: registered_residence}
  - key: site_address_code
    kind: text
    label: {en: Address code of the site, zh-hans: 经营场所标准地址编码}
    section: {en: The site, zh-hans: 经营场所}
    max_length: 16
    format: address_code
  - key: site_land_use_class
    kind: choice
    label: {en: Land use of the site, zh-hans: 经营场所土地用途}
    section: {en: The site, zh-hans: 经营场所}
    choices:
      - {value: residential, label: {en: Residential, zh-hans: 住宅用地}}
      - {value: commercial, label: {en: Commercial, zh-hans: 商业服务业用地}}
      - {value: industrial, label: {en: Industrial, zh-hans: 工业用地}}
      - {value: public, label: {en: Public services, zh-hans: 公共管理与公共服务用地}}
      - {value: mixed, label: {en: Mixed use, zh-hans: 混合用地}}
    register: {register: address, attribute: land_use_class, key: site_address_code}
services:
  - slug: put-up-a-sign
    name: {en: Put up a sign, zh-hans: 设置招牌}
    life_event: {en: Running a business, zh-hans: 企业经营}
    permit: {title: {en: Sign permit, zh-hans: 招牌许可}, valid_days: 365}
    reviews:
      - department: registration
        stage: 1
        sla_days: 3
        fields: [business_name, unified_social_credit_code, company_registered_name, company_registered_address,
                 registered_residence]
        identity: [name]
      - {department: planning, stage: 1, sla_days: 3, fields: [site_address_code, site_land_use_class]}
"""


def load_sign_service(tmp_path) -> Service:
    path = tmp_path / "registers-catalogue.yaml"
    path.write_text(textwrap.dedent(CATALOGUE), encoding="utf-8")
    call_command("load_catalogue", str(path), stdout=io.StringIO())
    return Service.objects.select_related("current_version").get(slug="put-up-a-sign")
