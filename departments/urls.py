app_name = "departments"

urlpatterns = []
