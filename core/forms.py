"""Form helpers every face uses."""


def apply_errors(form, errors: dict) -> None:
    """Show an engine ValidationFailed's errors on the form: by field where it has one, else on top."""
    for key, messages in errors.items():
        for message in messages:
            form.add_error(key if key in form.fields else None, message)
