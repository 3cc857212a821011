"""Submit → two reviews in parallel → two more → permit, as a viewflow flow under its
SELECT ... FOR UPDATE lock on the process row (waiting for it, not failing: nowait=False)."""

from viewflow import this
from viewflow.workflow import flow
from viewflow.workflow.lock import SelectForUpdateLock

from .models import Permit


class PermitFlow(flow.Flow):
    lock_impl = SelectForUpdateLock(nowait=False)

    start = flow.StartHandle(this.start_application).Next(this.stage_1)
    stage_1 = flow.Split().Next(this.review_1).Next(this.review_2)
    review_1 = flow.Handle(this.approve).Next(this.join_1)
    review_2 = flow.Handle(this.approve).Next(this.join_1)
    join_1 = flow.Join().Next(this.stage_2)
    stage_2 = flow.Split().Next(this.review_3).Next(this.review_4)
    review_3 = flow.Handle(this.approve).Next(this.join_2)
    review_4 = flow.Handle(this.approve).Next(this.join_2)
    join_2 = flow.Join().Next(this.issue)
    issue = flow.Function(this.issue_permit).Next(this.end)
    end = flow.End()

    def start_application(self, activation, applicant_id):
        activation.process.data = {"applicant_id": applicant_id, "status": "in_review"}
        return activation.process

    def approve(self, activation):
        activation.task.data = {"decision": "approve", "decided_by": 1}

    def issue_permit(self, activation):
        activation.process.data["status"] = "approved"
        activation.process.save()
        Permit.objects.create(process=activation.process, number=f"P-{activation.process.pk:08d}")
