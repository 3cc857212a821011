"""The demo's records, matching the portal's demo (devtools.registers_demo): the companies the demo
citizens run, the citizens in the population register, and the addresses their sites are at."""

DEMO_RECORDS = {
    "companies": [
        {"unified_social_credit_code": "91110105MA01GD8N3Q", "registered_name": "Golden Dragon Noodle House Co., Ltd.",
         "registered_address": "88 Harbour Road, Central District", "legal_representative": "Wang Fang 王芳",
         "status": "active"},
        {"unified_social_credit_code": "91110105MA01HX2K7B", "registered_name": "Li Lei Corner Shop Co., Ltd.",
         "registered_address": "12 Market Street, East District", "legal_representative": "Li Lei 李雷",
         "status": "active"},
        # A company no demo citizen represents: the portal uses none of its details for them.
        {"unified_social_credit_code": "91110108MA01JQ5T9Q", "registered_name": "Riverside Print Works Co., Ltd.",
         "registered_address": "3 Riverside Industrial Park, West District", "legal_representative": "Zhang Wei 张伟",
         "status": "active"},
    ],
    "persons": [
        {"identity_number": "110105198806150024", "name": "Wang Fang 王芳",
         "registered_residence": "Room 301, 5 Garden Lane, Chaoyang District, Beijing"},
        {"identity_number": "110108199002220043", "name": "Li Lei 李雷",
         "registered_residence": "2 Willow Street, Haidian District, Beijing"},
    ],
    "addresses": [
        {"address_code": "1101050010000088", "address": "88 Harbour Road, Central District", "land_use_class": "commercial"},
        {"address_code": "1101050010000012", "address": "12 Market Street, East District", "land_use_class": "mixed"},
        {"address_code": "1101080020000003", "address": "3 Riverside Industrial Park, West District",
         "land_use_class": "industrial"},
    ],
}
