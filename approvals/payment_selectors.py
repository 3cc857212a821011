"""Reading an application's fee for people: the quote a draft's answers come to, the order a
submitted application pays with its payments and refunds, and the QR code a bank app reads."""

from dataclasses import dataclass, field
from decimal import Decimal
from urllib.parse import urlencode

from django.conf import settings

from catalogue.fees import fee_quote, payment_mode
from payments.models import PaymentOrder, PaymentOrderStatus, Refund

from .models import Application


@dataclass
class FeeView:
    """What a page, the receipt or the API shows of a fee: the items as an order keeps them
    (catalogue.fees.FeeQuote.items_json), the total and, once submitted, the order and refunds."""

    items: list[dict]
    total: Decimal
    currency: str
    mode: str
    order: PaymentOrder | None = None
    refunds: list[Refund] = field(default_factory=list)

    @property
    def lines(self) -> list[dict]:
        return [item for item in self.items if "exemption" not in item]

    @property
    def exemption(self) -> dict | None:
        return next((item["exemption"] for item in self.items if "exemption" in item), None)


def fee_for_answers(application: Application) -> FeeView | None:
    """What the draft's answers come to by its version's rule (None: the service has none)."""
    schema = application.schema
    quote = fee_quote(application.fee_rule, application.answers, schema.fields_by_key)
    if quote is None:
        return None
    return FeeView(quote.items_json(), quote.total, quote.currency, payment_mode(schema.fee))


def fee_of(application: Application) -> FeeView | None:
    """A submitted application's fee: its order (the latest: open, paid or cancelled) with its
    refunds; None when it had nothing to pay."""
    order = (PaymentOrder.objects.filter(application=application).order_by("-created_at", "-pk")
             .prefetch_related("refunds").first())
    if order is None:
        return None
    return FeeView(order.items, order.amount, order.currency, payment_mode(application.schema.fee), order=order,
                   refunds=sorted(order.refunds.all(), key=lambda r: r.proposed_at))


def payment_uri(order: PaymentOrder) -> str:
    """What the order's QR code holds: the payment code, amount and currency, for a bank's or a
    payment app's scanner (the scheme is the PAYMENT_URI_SCHEME setting)."""
    return f"{settings.PAYMENT_URI_SCHEME}:{order.code}?" + urlencode({"amount": str(order.amount), "currency": order.currency})


def payment_qr(order: PaymentOrder) -> str:
    """The order's QR code as an SVG data URI (shown on the page and printed)."""
    import segno  # only the order page draws one

    return segno.make(payment_uri(order), error="m").svg_data_uri(scale=5, border=2, dark="#000", light="#fff")


def open_order(application: Application) -> PaymentOrder | None:
    return PaymentOrder.objects.filter(application=application, status=PaymentOrderStatus.OPEN).first()
