"""What the database says after a scenario, about the applications the run's citizens submitted:
how many are final, which were lost, what was done twice, and what is still waiting."""

FINAL = ("issued", "rejected")


def outcome(conn, application_ids: list[int]) -> dict:
    ids = list(application_ids)
    status = dict(conn.execute("SELECT status, count(*) FROM approvals_application WHERE id = ANY(%s) GROUP BY status",
                               (ids,)).fetchall())
    final = sum(status.get(s, 0) for s in FINAL)
    one = conn.execute
    return {
        "submitted": len(ids),
        "final": final,
        "by_status": status,
        # A reference the citizen was given whose application is not final: never routed, decided or issued.
        "lost": len(ids) - final,
        "duplicate_permits": one("SELECT coalesce(sum(n - 1), 0)::int FROM (SELECT count(*) n FROM permits_permit "
                                 "WHERE application_id = ANY(%s) GROUP BY application_id) p", (ids,)).fetchone()[0],
        "permits_unrendered": one("SELECT count(*) FROM permits_permit WHERE application_id = ANY(%s) "
                                  "AND rendered_at IS NULL", (ids,)).fetchone()[0],
        # The same notice twice: one person, kind, application, review and parameters.
        "duplicate_notifications": one(
            "SELECT coalesce(sum(n - 1), 0)::int FROM (SELECT count(*) n FROM approvals_notification "
            "GROUP BY recipient_id, kind, application_id, review_id, params::text) d").fetchone()[0],
        "mails_sent": one("SELECT count(*) FROM approvals_notification WHERE email_status = 'sent'").fetchone()[0],
        "mails_unsent": dict(one("SELECT email_status, count(*) FROM approvals_notification "
                                 "WHERE email_status IN ('pending', 'sending', 'failed') GROUP BY email_status")
                             .fetchall()),
    }


def backlog(conn, since) -> int:
    """Work that was due by ``since`` (the database's time) and is still not done: reviews not
    routed, permits not rendered, mails not sent."""
    return conn.execute("""
        SELECT (SELECT count(*) FROM approvals_review WHERE status = 'pending' AND routed_at IS NULL
                AND pending_since <= %(t)s)
             + (SELECT count(*) FROM permits_permit WHERE rendered_at IS NULL AND issued_at <= %(t)s)
             + (SELECT count(*) FROM approvals_notification WHERE email_status IN ('pending', 'sending')
                AND created_at <= %(t)s)""", {"t": since}).fetchone()[0]
