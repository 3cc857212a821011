from django.urls import path

from . import calendar_views, complaint_views, filing_views, queue_views, rectification_views, views

app_name = "departments"

urlpatterns = [
    path("", queue_views.queue, name="queue"),
    path("queue/reviews/<int:pk>/assign/", queue_views.assign, name="assign"),
    path("queue/assign/", queue_views.assign_bulk, name="assign_bulk"),
    path("reviews/<int:pk>/", views.review_page, name="review"),
    path("reviews/<int:pk>/claim/", views.claim, name="claim"),
    path("reviews/<int:pk>/release/", views.release, name="release"),
    path("reviews/<int:pk>/decide/", views.decide, name="decide"),
    path("reviews/<int:pk>/messages/", views.message, name="message"),
    path("reviews/<int:pk>/messages/read/", views.messages_read, name="messages_read"),
    path("reviews/<int:pk>/files/<int:attachment_id>/", views.attachment, name="attachment"),
    path("reviews/<int:pk>/evidence/<slug:field_key>/", views.certificate, name="certificate"),
    path("reviews/<int:pk>/notes/", views.note_add, name="note_add"),
    path("reviews/<int:pk>/extend/", views.extend, name="extend"),
    path("reviews/<int:pk>/share/", views.share, name="share"),
    path("shared/", views.shared, name="shared"),
    path("shared/<int:pk>/", views.opinion, name="opinion"),
    path("shared/<int:pk>/files/<int:attachment_id>/", views.opinion_attachment, name="opinion_attachment"),
    path("shared/<int:pk>/revoke/", views.share_revoke, name="share_revoke"),
    path("shared/<int:pk>/opinion/", views.opinion_give, name="opinion_give"),
    path("shared/<int:pk>/opinion/files/<int:file_id>/", views.opinion_file, name="opinion_file"),
    path("files/<int:attachment_id>/original/", views.attachment_original, name="attachment_original"),
    path("opinion-files/<int:file_id>/original/", views.opinion_file_original, name="opinion_file_original"),
    path("calendar-changes/", calendar_views.calendar_changes, name="calendar_changes"),
    path("calendar-changes/decide/", calendar_views.calendar_changes_decide, name="calendar_changes_decide"),
    path("filings/", filing_views.filing_list, name="filings"),
    path("filings/<int:pk>/", filing_views.filing, name="filing"),
    path("filings/<int:pk>/acknowledge/", filing_views.filing_acknowledge, name="filing_acknowledge"),
    path("complaints/", complaint_views.complaint_list, name="complaints"),
    path("complaints/<int:pk>/", complaint_views.complaint_page, name="complaint"),
    path("complaints/<int:pk>/answer/", complaint_views.complaint_answer, name="complaint_answer"),
    path("complaints/<int:pk>/reassign/", complaint_views.complaint_reassign, name="complaint_reassign"),
    path("rectifications/", rectification_views.rectification_list, name="rectifications"),
    path("rectifications/<int:pk>/", rectification_views.rectification, name="rectification"),
    path("rectifications/<int:pk>/close/", rectification_views.rectification_close, name="rectification_close"),
    path("rectifications/<int:pk>/reassign/", rectification_views.rectification_reassign,
         name="rectification_reassign"),
]
