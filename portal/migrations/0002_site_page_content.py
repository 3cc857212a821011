"""The footer's pages with their first text, in English and Simplified Chinese. The administrator
edits them afterwards in the admin (Portal → Site pages); this migration never overwrites an edit."""

from django.db import migrations

HELP_EN = """\
This portal lets you apply for a government service **once**, even when several departments have to agree.

## How an application works

1. **Find the service.** Browse the services by life event on the [home page](/) or [search](/search/) for what you want to do, for example "open a restaurant".
2. **Sign in or register.** You need an account with a verified email address. [Sign in](/accounts/login/) or [register](/accounts/register/).
3. **Fill in one form.** The form asks each question once, even if several departments need the answer. You can save and come back: your draft waits on *My applications*.
4. **Attach your documents.** PDF, PNG or JPEG, as the form says for each document.
5. **Check your answers and submit.** You get a reference number and an expected decision date.
6. **The departments review in parallel.** Each department sees only the answers it needs. You can follow each review on your application's page.
7. **Answer corrections.** If a department needs a change, you get a message saying what to correct. The clock stops while the application is with you.
8. **Receive your permit.** When every department has approved, you download one signed permit (PDF) from your application's page.

## Checking a permit

Anyone can check a permit on [Verify a permit](/permits/verify/), by its number, by scanning the QR code printed on it, or by uploading the file.

## Making the portal easier to use

- Change the language (English or 简体中文) in the header.
- Choose **Larger text** in the header to enlarge all text; the portal remembers your choice.
- Every page works with the keyboard and with a screen reader.

## Still stuck?

[Contact the service desk](/contact/).
"""

HELP_ZH = """\
本门户让您只需申请**一次**，即可办理需要多个部门共同审批的政务服务。

## 办理流程

1. **找到服务。** 在[首页](/)按人生事件浏览服务，或[搜索](/search/)您要办理的事项，例如“开办餐饮店”。
2. **登录或注册。** 您需要一个已验证电子邮箱的账户。请[登录](/accounts/login/)或[注册](/accounts/register/)。
3. **填写一张表单。** 即使多个部门需要同一信息，表单也只问一次。您可以随时保存，稍后继续：草稿保存在“我的申请”中。
4. **上传材料。** 按表单对每份材料的要求上传 PDF、PNG 或 JPEG 文件。
5. **核对并提交。** 提交后您会得到一个申请编号和预计办结日期。
6. **各部门并联审查。** 每个部门只看到其所需的信息。您可以在申请页面查看每个部门的审查进度。
7. **补正材料。** 如果某部门需要修改，您会收到说明需要补正内容的消息。申请在您处期间，办理时限暂停计算。
8. **领取许可证。** 所有部门批准后，您可以在申请页面下载一份经签名的许可证（PDF）。

## 核验许可证

任何人都可以在[核验许可证](/permits/verify/)页面通过许可证编号、扫描证上的二维码或上传文件来核验许可证。

## 让门户更易用

- 在页头切换语言（English 或简体中文）。
- 在页头选择**大字模式**放大所有文字；门户会记住您的选择。
- 每个页面都可以只用键盘或借助读屏软件使用。

## 仍需帮助？

请[联系服务台](/contact/)。
"""

CONTACT_EN = """\
## Service desk

The service desk answers questions about using the portal, your account and the status of an application.

- Email: [help@portal.example.gov](mailto:help@portal.example.gov)
- Telephone: 12345 (government service hotline), Monday to Friday, 9:00 to 17:00, except public holidays
- We answer emails within 2 working days.

Please give your application's reference number (for example 2026-000123) if your question is about an application. Never send your password.

## About a decision on your application

Write to the department from your application's page, under "Messages". The message goes to the officer handling your review and is kept with your application.

## Your personal data

Questions about how your data is used, or a request to see or correct it: [privacy@portal.example.gov](mailto:privacy@portal.example.gov). See the [privacy notice](/privacy/).

## Accessibility

If a page is hard to use for you, or you need information in another format: [accessibility@portal.example.gov](mailto:accessibility@portal.example.gov). See the [accessibility statement](/accessibility/).
"""

CONTACT_ZH = """\
## 服务台

服务台解答有关门户使用、账户以及申请进度的问题。

- 电子邮箱：[help@portal.example.gov](mailto:help@portal.example.gov)
- 电话：12345（政务服务便民热线），周一至周五 9:00–17:00，法定节假日除外
- 我们会在 2 个工作日内回复电子邮件。

如问题与某项申请有关，请提供申请编号（例如 2026-000123）。请勿发送您的密码。

## 关于申请的审批决定

请在申请页面的“消息”部分联系相关部门。消息会送达负责您审查的工作人员，并随申请一并保存。

## 您的个人信息

关于个人信息使用的问题，或查阅、更正个人信息的请求，请发送至 [privacy@portal.example.gov](mailto:privacy@portal.example.gov)。详见[隐私声明](/privacy/)。

## 无障碍

如果某个页面您使用起来有困难，或需要其他格式的信息，请发送至 [accessibility@portal.example.gov](mailto:accessibility@portal.example.gov)。详见[无障碍声明](/accessibility/)。
"""

PRIVACY_EN = """\
This notice explains what personal data the one-stop portal keeps, why, who sees it and what you can do.

## What we keep

- **Your account:** name, email address, the language you use, whether you chose larger text, and a record of your sign-ins.
- **Your applications:** the answers you give, the documents you attach, the messages you exchange with departments, the decisions and any permit issued.
- **Your ratings** of a finished application, if you give one.

## Why

Only to deliver the services you apply for: to let the departments review your application, to tell you about its progress, to issue and verify your permit, and to measure how quickly and how well the departments work (those figures are counted without names).

## Who sees it

- **Each department sees only what it needs.** An officer sees the answers and documents that their department's review requires, plus your name and contact details. No one sees your whole form unless you share it.
- Supervisors and managers see figures and overdue reviews; auditors see the audit log.
- The public verification page shows a permit's status and your name partly hidden, nothing else.

## Every access is recorded

Every time a staff member opens your application, and every decision, is recorded in an audit log that cannot be changed afterwards: it is chained so that any alteration is detected. **You can see who viewed your data**, when and why, on the [Who viewed my data](/applications/who-viewed-my-data/) page after signing in.

## Cookies

The portal uses only the cookies it needs: your session when signed in, protection against forged forms, your language and your text size. There are no advertising or tracking cookies.

## How long we keep it

Applications, decisions and permits are kept as long as the law on administrative records requires. A draft you never submit is deleted when you withdraw it.

## Your rights

You can see your data and ask for corrections on your profile and application pages, ask for a copy, and complain about how your data is used. Write to [privacy@portal.example.gov](mailto:privacy@portal.example.gov) or use the [contact page](/contact/).
"""

PRIVACY_ZH = """\
本声明说明一站式门户保存哪些个人信息、为何保存、谁能看到以及您可以做什么。

## 我们保存的信息

- **您的账户：** 姓名、电子邮箱、您使用的语言、是否选择大字模式，以及登录记录。
- **您的申请：** 您填写的内容、上传的材料、与各部门往来的消息、审批决定以及签发的许可证。
- **您的评价：** 如果您对已办结的申请作出评价。

## 用途

仅用于办理您申请的服务：供各部门审查您的申请、向您通知办理进度、签发和核验您的许可证，以及统计各部门办事的快慢和质量（统计不含姓名）。

## 谁能看到

- **每个部门只看到其所需的信息。** 工作人员只能看到本部门审查所需的内容和材料，以及您的姓名和联系方式。除非您主动共享，任何人都看不到您的完整表单。
- 主管和管理人员只看到统计数据和逾期审查；审计人员查看审计日志。
- 公开核验页面只显示许可证状态和部分隐藏的姓名，不显示其他信息。

## 每次访问都有记录

工作人员每次查看您的申请、每个审批决定，都会记入事后无法更改的审计日志：日志以链式校验，任何改动都会被发现。登录后，**您可以在[谁查看了我的信息](/applications/who-viewed-my-data/)页面看到谁在何时、为何查看了您的信息。**

## Cookie

门户只使用必要的 Cookie：登录会话、防止伪造表单、您选择的语言和文字大小。没有广告或跟踪 Cookie。

## 保存期限

申请、审批决定和许可证按照行政档案相关法律规定的期限保存。从未提交的草稿在您撤回时删除。

## 您的权利

您可以在个人资料和申请页面查看信息并要求更正，可以索取副本，也可以对个人信息的使用提出投诉。请发送邮件至 [privacy@portal.example.gov](mailto:privacy@portal.example.gov) 或使用[联系页面](/contact/)。
"""

ACCESSIBILITY_EN = """\
We want everyone to be able to use the one-stop portal, whatever their abilities or age.

## Standard

The portal aims to meet the **Web Content Accessibility Guidelines (WCAG) 2.1, level AA**.

## What you can do

- Use every page with the keyboard only; a "Skip to main content" link comes first on each page.
- Use a screen reader: forms have labels, errors are listed at the top of the page with links to the fields, and the status of each review is given in words, not only in colour.
- Switch to **Larger text** in the header, or zoom to 200 %: pages reflow without cutting off content. Wide tables scroll inside their own box.
- Read the portal in English or Simplified Chinese.

## How we test

Every page is checked automatically with axe-core against WCAG 2.1 A and AA in a real browser, in both languages, and the main journeys are tested with the keyboard only.

## Known limitations

- Charts on the dashboards are pictures; the same figures are always in the table below each chart.
- The permit PDF is an archival PDF (PDF/A) with its text selectable, but it is not yet a fully tagged PDF for screen readers. The verification page shows the same information as text.
- Documents uploaded by applicants are shown to officers as they were sent; we cannot check them for accessibility.
- The technical API documentation pages for developers are made by a third-party tool and have not been fully tested.

## Feedback

If something is hard to use, or you need information in another format, write to [accessibility@portal.example.gov](mailto:accessibility@portal.example.gov) or call the service desk (see [contact](/contact/)). We answer within 5 working days.
"""

ACCESSIBILITY_ZH = """\
我们希望每个人，无论能力或年龄，都能使用一站式门户。

## 遵循的标准

本门户以符合 **WCAG 2.1 AA 级**（《Web 内容无障碍指南》）为目标。

## 您可以

- 只用键盘使用每个页面；每页最先出现的是“跳到主要内容”链接。
- 使用读屏软件：表单都有标签，错误会列在页面顶部并链接到相应字段，每个审查的状态都有文字说明，而不仅用颜色表示。
- 在页头切换到**大字模式**，或放大到 200%：页面重新排版，内容不会被截断。较宽的表格在自己的区域内滚动。
- 使用英文或简体中文浏览门户。

## 我们如何测试

每个页面都在真实浏览器中以两种语言用 axe-core 按 WCAG 2.1 A 级和 AA 级自动检查，主要办事流程都经过纯键盘操作测试。

## 已知的不足

- 统计看板上的图表是图片；每张图表下方的表格中都有相同的数据。
- 许可证 PDF 为可选中文字的归档格式（PDF/A），但尚不是供读屏软件使用的完整标签化 PDF。核验页面以文字显示相同信息。
- 申请人上传的材料按原样提供给工作人员，我们无法检查其无障碍性。
- 面向开发者的 API 技术文档页面由第三方工具生成，尚未经过完整测试。

## 反馈

如果某项内容难以使用，或您需要其他格式的信息，请发送邮件至 [accessibility@portal.example.gov](mailto:accessibility@portal.example.gov) 或致电服务台（见[联系我们](/contact/)）。我们会在 5 个工作日内答复。
"""

TERMS_EN = """\
By using the one-stop portal you accept these terms.

## The service

The portal receives applications for government services and passes them to the departments that decide on them. The decision on each review is the department's; the portal records it and issues the permit when every department has approved.

## Your account

- Keep your password to yourself; you are responsible for what is done with your account.
- Apply for yourself or for a business you may act for. Share an application only with people you trust.

## What you send

- Give true and complete answers. A false statement can lead to rejection of the application or to revocation of a permit, and may be an offence.
- Attach only documents that belong to the application; do not upload harmful files. Files are checked by their content.
- Be courteous in messages to departments.

## Permits

A permit issued through the portal is valid as printed on it, until it expires or is revoked. Anyone can check it on [Verify a permit](/permits/verify/).

## Availability

We aim to keep the portal available at all times, but it may be paused for maintenance. Deadlines are counted in working days and stop while an application waits for your correction.

## Fair use

Automated or excessive requests are slowed down or refused. The API for department systems is used under its own tokens and rules.

## Changes and complaints

We may change these terms; the date below shows the last change. Complaints about the portal: [contact the service desk](/contact/).
"""

TERMS_ZH = """\
使用一站式门户即表示您接受以下条款。

## 服务

门户受理政务服务申请，并将其转交负责审批的部门。每项审查由相应部门作出决定；门户记录决定，并在所有部门批准后签发许可证。

## 您的账户

- 请妥善保管密码；您须对使用您账户进行的操作负责。
- 请为本人或您有权代表的企业申请。只与您信任的人共享申请。

## 您提交的内容

- 请如实、完整地填写。虚假陈述可能导致申请被驳回或许可证被撤销，并可能构成违法。
- 只上传与申请有关的材料，不要上传有害文件。文件会按内容进行检查。
- 与部门往来消息时请文明礼貌。

## 许可证

通过门户签发的许可证在证上载明的有效期内有效，直至到期或被撤销。任何人都可以在[核验许可证](/permits/verify/)页面核验。

## 服务可用性

我们力求门户随时可用，但可能因维护而暂停。办理时限按工作日计算，申请等待您补正期间暂停计算。

## 合理使用

自动化或过于频繁的请求会被减速或拒绝。部门系统使用的 API 适用其自身的令牌和规则。

## 变更与投诉

我们可能修改本条款；页面下方的日期为最近修改日期。对门户的投诉请[联系服务台](/contact/)。
"""

PAGES = [
    ("help", "Help", "帮助", HELP_EN, HELP_ZH),
    ("contact", "Contact", "联系我们", CONTACT_EN, CONTACT_ZH),
    ("privacy", "Privacy notice", "隐私声明", PRIVACY_EN, PRIVACY_ZH),
    ("accessibility", "Accessibility statement", "无障碍声明", ACCESSIBILITY_EN, ACCESSIBILITY_ZH),
    ("terms", "Terms of use", "使用条款", TERMS_EN, TERMS_ZH),
]


def seed(apps, schema_editor):
    SitePage = apps.get_model("portal", "SitePage")
    for slug, title_en, title_zh, body_en, body_zh in PAGES:
        SitePage.objects.get_or_create(slug=slug, defaults={
            "title_en": title_en, "title_zh_hans": title_zh, "body_en": body_en, "body_zh_hans": body_zh,
        })


class Migration(migrations.Migration):
    dependencies = [("portal", "0001_site_page")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
