"""dashboard.endpoint_form: a posted endpoint form read into an EndpointChange, and the
rules' refusals put back on the form's fields."""

from __future__ import annotations

from starlette.datastructures import FormData

from hookline.dashboard.endpoint_form import FormValues, field_errors, parse_int
from hookline.domain.errors import FieldError, InvalidInput, RefusedTarget
from hookline.services.endpoint_change import UNSET, EndpointChange


def posted(**fields: str | list[str]) -> FormValues:
    items: list[tuple[str, str]] = []
    for name, value in fields.items():
        items += [(name, v) for v in value] if isinstance(value, list) else [(name, value)]
    return FormValues.posted(FormData(items))


def test_a_posted_form_is_a_change_of_every_field_it_shows() -> None:
    values = posted(
        url=" https://hooks.example.com/in ",
        description="CRM",
        events=["invoice.paid", "webhook.test"],
        patterns="contact.*, , deal.*",
        timeout="45",
        rate_limit="",
        uid="",
        channels="eu, us,",
    )
    change, errors = values.change()
    assert errors == {}
    assert change == EndpointChange(
        url="https://hooks.example.com/in",
        description="CRM",
        events=("invoice.paid", "webhook.test", "contact.*", "deal.*"),
        timeout=45,
        rate_limit=None,  # empty: no rate limit
        uid=None,  # empty: no uid
        channels=("eu", "us"),
    )
    assert posted(url="u", channels=" ").change()[0].channels is None


def test_numbers_that_cannot_be_read_are_errors_and_the_timeout_stays_unset() -> None:
    change, errors = posted(url="u", timeout="soon", rate_limit="fast").change()
    assert errors == {
        "timeout": ["a whole number of seconds"],
        "rate_limit": ["a whole number, or empty for none"],
    }
    assert change.timeout is UNSET


def test_parse_int() -> None:
    assert (parse_int(""), parse_int(None, default=7), parse_int(" 12 "), parse_int("x")) == (
        None,
        7,
        12,
        None,
    )


def test_refusals_land_on_the_fields_they_are_about() -> None:
    refused = InvalidInput(
        "no",
        errors=[
            FieldError("body.events.1", "unknown event type"),
            FieldError("body.headers.Host", "reserved"),
            FieldError("body.timeout", "between 5 and 120 seconds"),
        ],
    )
    assert field_errors(refused) == {
        "events": ["unknown event type"],
        "_": ["reserved"],
        "timeout": ["between 5 and 120 seconds"],
    }
    assert field_errors(InvalidInput("The whole form.")) == {"_": ["The whole form."]}
    assert field_errors(RefusedTarget("a private address", rule="private")) == {
        "url": ["a private address"]
    }
