from django.urls import path

from . import appointment_views, feedback_views, permit_life_views, rectification_views, views

app_name = "approvals"

urlpatterns = [
    path("", views.my_applications, name="my_applications"),
    path("start/<slug:slug>/", views.start, name="start"),
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/read/", views.notifications_read, name="notifications_read"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/continue/", views.resume, name="resume"),
    path("<int:pk>/step/<int:step>/", views.edit, name="edit"),
    path("<int:pk>/check/", views.check, name="check"),
    path("<int:pk>/submitted/", views.submitted, name="submitted"),
    path("<int:pk>/correct/", views.correct, name="correct"),
    path("<int:pk>/withdraw/", views.withdraw, name="withdraw"),
    path("<int:pk>/files/<int:attachment_id>/", views.attachment, name="attachment"),
    path("<int:pk>/files/<int:attachment_id>/remove/", views.attachment_remove, name="attachment_remove"),
    path("<int:pk>/receipt/", views.receipt, name="receipt"),
    path("<int:pk>/payment/", views.payment_order, name="payment_order"),
    path("<int:pk>/permit/cancel/", permit_life_views.cancel, name="permit_cancel"),
    path("<int:pk>/permit/renew/", permit_life_views.renew, name="permit_renew"),
    path("<int:pk>/permit/amend/", permit_life_views.amend, name="permit_amend"),
    path("<int:pk>/messages/", feedback_views.message_send, name="message_send"),
    path("<int:pk>/messages/read/", views.messages_read, name="messages_read"),
    path("<int:pk>/rate/", feedback_views.rate, name="rate"),
    path("<int:pk>/rectifications/<int:case_pk>/rate/", rectification_views.follow_up, name="rectification_rate"),
    path("<int:pk>/advice/", appointment_views.advice_ask, name="advice_ask"),
    path("appointments/", appointment_views.bookings, name="bookings"),
    path("appointments/book/<slug:slug>/", appointment_views.book, name="book"),
    path("appointments/<int:pk>/", appointment_views.booking, name="booking"),
    path("appointments/<int:pk>/move/", appointment_views.booking_move_view, name="booking_move"),
    path("appointments/<int:pk>/cancel/", appointment_views.booking_cancel_view, name="booking_cancel"),
    path("appointments/<int:pk>/invitation.ics", appointment_views.booking_invitation, name="booking_invitation"),
    path("who-viewed-my-data/", feedback_views.who_viewed, name="who_viewed"),
]
