"""The standard fields of every source kind: the contract between landing files and the warehouse.

A user's ``sources.yml`` maps the columns of their files onto these fields. The loader casts each
mapped column to the field's type; what happens to a value that does not cast is the field's
``on_invalid`` rule:

- ``quarantine_row``: the row cannot be used without this value (its key, the time of an event, an
  amount). The whole row goes to ``quarantined_rows`` with the reason and is not loaded.
- ``null_value``: the row is still useful (a CRM customer with an impossible birth date).
  The value is loaded as null and the original value is recorded in ``quarantined_rows`` with
  ``action = 'value_nulled'``, so nothing is lost and the row count still reconciles.

Only shape is checked at load (types, required fields). Business rules such as "quantity must not
be negative" or "this email is junk" belong to the staging models, which quarantine with reasons
of their own and keep the raw layer a faithful copy of what arrived.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

FieldType = Literal["text", "timestamp", "date", "decimal", "integer", "boolean", "json"]
OnInvalid = Literal["quarantine_row", "null_value"]


@dataclass(frozen=True)
class StandardField:
    name: str
    type: FieldType
    description: str
    required: bool = False
    on_invalid: OnInvalid = "null_value"


@dataclass(frozen=True)
class EntitySpec:
    """One raw table of a kind, e.g. ``orders.order_lines``."""

    name: str
    description: str
    fields: tuple[StandardField, ...]
    # The field whose newest value wins when one key arrives twice in a batch (dlt ``dedup_sort``).
    version_field: str | None = None

    def field(self, name: str) -> StandardField:
        for candidate in self.fields:
            if candidate.name == name:
                return candidate
        raise KeyError(name)

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)


@dataclass(frozen=True)
class KindSpec:
    name: str
    description: str
    entities: dict[str, EntitySpec]


def _key(description: str) -> StandardField:
    return StandardField(
        "record_key", "text", description, required=True, on_invalid="quarantine_row"
    )


def _text(name: str, description: str) -> StandardField:
    return StandardField(name, "text", description)


def _when(name: str, description: str, *, required: bool = False) -> StandardField:
    return StandardField(
        name,
        "timestamp",
        description,
        required=required,
        on_invalid="quarantine_row" if required else "null_value",
    )


_CONTACT = (
    _text("email", "Email address as it arrived (normalised in staging)."),
    _text("phone", "Phone number as it arrived, any national format (normalised in staging)."),
)

KINDS: dict[str, KindSpec] = {
    "crm": KindSpec(
        name="crm",
        description="Customer master records exported from a CRM.",
        entities={
            "customers": EntitySpec(
                name="customers",
                description="One row per CRM customer record (latest version of each CRM id).",
                version_field="updated_at",
                fields=(
                    _key("CRM customer id."),
                    *_CONTACT,
                    _text("first_name", "Given name (Latin script or Chinese)."),
                    _text("last_name", "Family name (Latin script or Chinese)."),
                    _text("full_name", "Full display name as the CRM holds it."),
                    _text("name_latin", "Latin-script (pinyin) form of a Chinese name."),
                    StandardField(
                        "birth_date", "date", "Date of birth; an impossible date is nulled."
                    ),
                    _text("gender", "Gender code as the CRM holds it."),
                    _text("address", "Street address line."),
                    _text("city", "City."),
                    _text("region", "Province or state."),
                    _text("postal_code", "Postal code."),
                    _text("country", "Country as ISO 3166 alpha-2 code or name."),
                    _text("national_id", "External id: national id number."),
                    _text("loyalty_id", "External id: loyalty card number."),
                    _when("created_at", "When the CRM record was created."),
                    _when("updated_at", "When the CRM record was last changed.", required=True),
                    _text("consent_email", "Marketing consent flag for email, as exported."),
                    _text("consent_sms", "Marketing consent flag for SMS, as exported."),
                    _text("consent_ads", "Marketing consent flag for ad targeting, as exported."),
                ),
            )
        },
    ),
    "orders": KindSpec(
        name="orders",
        description="Orders and order lines from the shop, app, mini-program and stores.",
        entities={
            "orders": EntitySpec(
                name="orders",
                description="One row per order.",
                version_field="updated_at",
                fields=(
                    _key("Order id."),
                    _text("customer_key", "CRM id of the buyer; empty for guest orders."),
                    *_CONTACT,
                    _text(
                        "unionid",
                        "WeChat unionid of the buyer (mini-program orders; the same id the "
                        "official account shows for a follower).",
                    ),
                    _text("channel", "Sales channel: store, web, app, mini_program."),
                    _text("store_id", "Store id for in-store orders."),
                    _text("status", "Order status: completed, cancelled, refunded, ..."),
                    _text("currency", "ISO 4217 currency code."),
                    StandardField(
                        "total_amount",
                        "decimal",
                        "Order total in its currency.",
                        on_invalid="quarantine_row",
                    ),
                    _when("ordered_at", "When the order was placed.", required=True),
                    _when("updated_at", "When the order last changed status."),
                ),
            ),
            "order_lines": EntitySpec(
                name="order_lines",
                description="One row per order line.",
                fields=(
                    _key("Order line id."),
                    StandardField(
                        "order_key", "text", "Order id.", required=True, on_invalid="quarantine_row"
                    ),
                    _text("sku", "Product SKU."),
                    _text("product_name", "Product name."),
                    _text("category", "Product category."),
                    StandardField(
                        "quantity", "integer", "Units ordered.", on_invalid="quarantine_row"
                    ),
                    StandardField(
                        "unit_price", "decimal", "Unit price.", on_invalid="quarantine_row"
                    ),
                    _text("currency", "ISO 4217 currency code."),
                ),
            ),
        },
    ),
    "events": KindSpec(
        name="events",
        description="Web and app events in the Segment spec (identify, track, page, screen).",
        entities={
            "events": EntitySpec(
                name="events",
                description="One row per event (messageId); duplicates of a messageId are merged.",
                fields=(
                    _key("Segment messageId."),
                    StandardField(
                        "event_type",
                        "text",
                        "Segment call type: identify, track, page, screen.",
                        required=True,
                        on_invalid="quarantine_row",
                    ),
                    _text("event_name", "Track event name or page/screen name."),
                    _text("anonymous_id", "Segment anonymousId (device or browser)."),
                    _text("user_id", "Segment userId (the CRM id once identified)."),
                    _when(
                        "occurred_at", "Event timestamp, offsets honoured, in UTC.", required=True
                    ),
                    _when("sent_at", "When the client sent the event."),
                    StandardField("traits", "json", "Segment traits object."),
                    StandardField("context", "json", "Segment context object (device, ip, ...)."),
                    StandardField("properties", "json", "Segment properties object."),
                ),
            )
        },
    ),
    "email": KindSpec(
        name="email",
        description="Email marketing engagement from the email service provider.",
        entities={
            "email_events": EntitySpec(
                name="email_events",
                description="One row per email engagement event.",
                fields=(
                    _key("ESP event id."),
                    _text("email", "Recipient email address as the ESP holds it."),
                    StandardField(
                        "event_type",
                        "text",
                        "send, open, click, bounce, unsubscribe.",
                        required=True,
                        on_invalid="quarantine_row",
                    ),
                    _text("campaign_id", "Campaign id."),
                    _text("url", "Clicked link, for clicks."),
                    _when("occurred_at", "When it happened.", required=True),
                ),
            )
        },
    ),
    "service": KindSpec(
        name="service",
        description="Customer service tickets.",
        entities={
            "tickets": EntitySpec(
                name="tickets",
                description="One row per ticket (latest version).",
                version_field="updated_at",
                fields=(
                    _key("Ticket id."),
                    *_CONTACT,
                    _text("customer_key", "CRM id when the agent linked one."),
                    _text("channel", "phone, email, chat, wechat."),
                    _text("subject", "Ticket subject."),
                    _text("body", "Free text of the request (Chinese or English)."),
                    _text("status", "open, pending, solved, closed."),
                    StandardField("satisfaction_score", "integer", "CSAT 1-5 when answered."),
                    _when("created_at", "When the ticket was opened.", required=True),
                    _when("updated_at", "When the ticket last changed."),
                ),
            )
        },
    ),
    "social": KindSpec(
        name="social",
        description="WeChat official-account followers and their interactions.",
        entities={
            "followers": EntitySpec(
                name="followers",
                description="One row per follower openid (latest state).",
                version_field="updated_at",
                fields=(
                    _key("WeChat openid."),
                    _text("unionid", "WeChat unionid (same person across official accounts)."),
                    _text("phone", "Phone number bound by the follower, when any."),
                    _text("nickname", "WeChat nickname."),
                    _text("city", "City from the WeChat profile."),
                    _text("country", "Country from the WeChat profile."),
                    _text("is_subscribed", "Whether the account is still followed."),
                    _when("subscribed_at", "When the account was followed."),
                    _when("updated_at", "When the follower record was exported.", required=True),
                ),
            ),
            "interactions": EntitySpec(
                name="interactions",
                description="One row per follower interaction (message, menu click, article read).",
                fields=(
                    _key("Interaction id."),
                    StandardField(
                        "openid",
                        "text",
                        "WeChat openid.",
                        required=True,
                        on_invalid="quarantine_row",
                    ),
                    _text("interaction_type", "message, menu_click, article_read, ..."),
                    _text("content", "Message text or article id."),
                    _when("occurred_at", "When it happened.", required=True),
                ),
            ),
        },
    ),
}
