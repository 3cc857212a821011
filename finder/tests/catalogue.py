"""A small catalogue with conditions and a finder over it, built in the database (not from the
demo file): a restaurant whose fire safety review applies only with more than 50 seats or gas
cooking, and a shop sign permit the finder considers only when a sign is planned; the sign's
permit asks for the restaurant's operating permit, which the restaurant issues."""

from catalogue.models import Field, Service
from catalogue.schema import service_publish
from departments.models import Department
from finder.models import Finder, FinderQuestion, FinderService
from tests.factories import FIELDS, certificate_type, restaurant_service

DEPARTMENTS = {
    "registration": {"en": "Business Registration", "zh-hans": "登记注册局"},
    "health": {"en": "Public Health", "zh-hans": "卫生健康局"},
    "tax": {"en": "Taxation", "zh-hans": "税务局"},
    "fire": {"en": "Fire Safety", "zh-hans": "消防救援"},
    "urban": {"en": "Urban Management", "zh-hans": "城市管理局"},
}
LABELS = {
    "cuisine": {"en": "What will you serve?", "zh-hans": "经营什么菜系？"},
    "seats": {"en": "Number of seats", "zh-hans": "座位数"},
    "uses_gas": {"en": "Gas cooking", "zh-hans": "使用燃气烹饪"},
    "plans_sign": {"en": "Will you put up a shop sign?", "zh-hans": "是否设置店招标牌？"},
    "floor_plan": {"en": "Floor plan", "zh-hans": "平面图"},
    "fire_escape_plan": {"en": "Fire escape plan", "zh-hans": "消防疏散图"},
}
RESTAURANT_FIELDS = [*FIELDS, ("uses_gas", "boolean", "site", True, {}),
                     ("fire_escape_plan", "file", "documents", True, {"accept": ["application/pdf"]})]
RESTAURANT_REVIEWS = [
    ("registration", 1, 3, ["business_name", "cuisine"]),
    ("health", 1, 5, ["business_name", "seats", "uses_gas", "floor_plan"]),
    ("tax", 1, 2, ["business_name"]),
    ("fire", 2, 5, ["seats", "site_address", "uses_gas", "fire_escape_plan"]),
]
FIRE_WHEN = {"any": [{"seats": {"gt": 50}}, {"uses_gas": True}]}
SIGN_FIELDS = [("business_name", "text", "business", True, {"max_length": 120}),
               ("restaurant_permit", "file", "documents", True, {"accept": ["application/pdf"]})]
SIGN_REVIEWS = [("urban", 1, 4, ["business_name", "restaurant_permit"])]


def noodle_catalogue(*, extra_services: int = 0) -> Finder:
    """The finder "Open a restaurant" over the restaurant and the shop sign (and ``extra_services``
    more services, each applying always, for query counts)."""
    for code, name in DEPARTMENTS.items():
        Department.objects.update_or_create(code=code, defaults={"name": name, "email": f"{code}@example.gov"})
    restaurant = restaurant_service(fields=RESTAURANT_FIELDS, reviews=RESTAURANT_REVIEWS, review_when={"fire": FIRE_WHEN})
    sign = restaurant_service(slug="put-up-a-shop-sign", fields=SIGN_FIELDS, reviews=SIGN_REVIEWS)
    Field.objects.update_or_create(key="plans_sign", defaults={"kind": "boolean", "label": LABELS["plans_sign"],
                                                               "position": 90})
    kind = certificate_type()
    Service.objects.filter(pk=restaurant.pk).update(certificate_type=kind)
    Service.objects.filter(pk=sign.pk).update(name={"en": "Put up a shop sign", "zh-hans": "设置店招标牌"},
                                              fee={"en": "200 yuan", "zh-hans": "200元"})
    Field.objects.filter(key="restaurant_permit").update(
        certificate_type=kind, label={"en": "Restaurant operating permit", "zh-hans": "餐饮经营许可证"})
    for key, label in LABELS.items():
        Field.objects.filter(key=key).update(label=label)
    services = [restaurant, sign]
    for n in range(extra_services):
        services.append(restaurant_service(slug=f"extra-{n}", fields=SIGN_FIELDS, reviews=SIGN_REVIEWS))
    for service in services:
        service_publish(service=service)
    finder = Finder.objects.create(
        slug="open-a-restaurant", title={"en": "Open a restaurant", "zh-hans": "开办餐饮店"},
        life_event={"en": "Starting a business", "zh-hans": "企业开办"},
        intro={"en": "What you plan decides the permits you need.", "zh-hans": "您的经营计划决定所需的许可。"})
    for position, key in enumerate(["cuisine", "seats", "uses_gas", "plans_sign"]):
        FinderQuestion.objects.create(finder=finder, field=Field.objects.get(key=key), position=position)
    FinderService.objects.create(finder=finder, service=restaurant, position=0)
    FinderService.objects.create(finder=finder, service=sign, position=1, when={"plans_sign": True},
                                 because={"en": "You plan a shop sign.", "zh-hans": "您计划设置店招标牌。"})
    for n, service in enumerate(services[2:], start=2):
        FinderService.objects.create(finder=finder, service=service, position=n)
    return finder
