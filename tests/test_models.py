"""InventoryAction validation: bad input is refused with a message naming the field and what is
allowed, and good input is normalised (3.0 units -> 3, integer multipliers -> float)."""

from __future__ import annotations

import math

import pytest
from pydantic import ValidationError

from models import InventoryAction
from server.constants import PRODUCTS

QUANTITY_FIELDS = ("buy_quantities", "liquidate")


def rejection_message(**fields: object) -> str:
    """The validation message for an action built from ``fields`` (which must be refused)."""
    with pytest.raises(ValidationError) as caught:
        InventoryAction(**fields)
    return str(caught.value)


def test_defaults_are_a_do_nothing_day() -> None:
    action = InventoryAction()
    assert action.buy_quantities == {}
    assert action.liquidate == {}
    assert action.price_multipliers == {}
    assert action.delivery_method == "slow"


@pytest.mark.parametrize("field", (*QUANTITY_FIELDS, "price_multipliers"))
def test_unknown_product_is_named_with_the_allowed_products(field: str) -> None:
    message = rejection_message(**{field: {"spaceships": 1}})
    assert field in message
    assert "'spaceships'" in message
    for product in PRODUCTS:
        assert product in message


@pytest.mark.parametrize("field", QUANTITY_FIELDS)
def test_negative_quantity_is_refused(field: str) -> None:
    message = rejection_message(**{field: {"toys": -1}})
    assert f"{field}['toys']" in message
    assert ">= 0" in message


@pytest.mark.parametrize("field", QUANTITY_FIELDS)
@pytest.mark.parametrize(
    "bad_quantity", [2.5, True, False, "3", math.nan, math.inf, -math.inf, None, [3]]
)
def test_non_whole_quantity_is_refused(field: str, bad_quantity: object) -> None:
    message = rejection_message(**{field: {"groceries": bad_quantity}})
    assert f"{field}['groceries']" in message
    assert "whole number" in message


@pytest.mark.parametrize("field", QUANTITY_FIELDS)
def test_quantity_field_must_be_a_mapping(field: str) -> None:
    message = rejection_message(**{field: [["toys", 3]]})
    assert field in message
    assert "product" in message


@pytest.mark.parametrize("field", QUANTITY_FIELDS)
def test_whole_float_quantity_is_accepted_as_int(field: str) -> None:
    action = InventoryAction(**{field: {"toys": 3.0, "clothing": 0}})
    quantities = getattr(action, field)
    assert quantities == {"toys": 3, "clothing": 0}
    assert type(quantities["toys"]) is int


def test_huge_quantity_is_refused_with_its_limit() -> None:
    message = rejection_message(buy_quantities={"toys": 10**30})
    assert "buy_quantities['toys']" in message
    assert "<= 100000" in message


@pytest.mark.parametrize(
    "bad_multiplier", [0.49, 1.51, 0.0, -1.0, 2, 10**400, math.nan, math.inf, -math.inf]
)
def test_multiplier_outside_range_or_not_finite_is_refused(bad_multiplier: object) -> None:
    message = rejection_message(price_multipliers={"clothing": bad_multiplier})
    assert "price_multipliers['clothing']" in message
    assert "[0.5, 1.5]" in message


@pytest.mark.parametrize("bad_multiplier", ["1.2", True, None, [1.0]])
def test_multiplier_of_wrong_type_is_refused(bad_multiplier: object) -> None:
    message = rejection_message(price_multipliers={"clothing": bad_multiplier})
    assert "price_multipliers['clothing']" in message
    assert "[0.5, 1.5]" in message


def test_multiplier_bounds_and_ints_are_accepted() -> None:
    action = InventoryAction(price_multipliers={"toys": 0.5, "clothing": 1.5, "furniture": 1})
    assert action.price_multipliers == {"toys": 0.5, "clothing": 1.5, "furniture": 1.0}
    assert type(action.price_multipliers["furniture"]) is float


@pytest.mark.parametrize("bad_method", ["express", "SLOW", "", None, 1])
def test_unknown_delivery_method_is_named_with_the_allowed_methods(bad_method: object) -> None:
    message = rejection_message(delivery_method=bad_method)
    assert "delivery_method" in message
    for method in ("slow", "medium", "fast"):
        assert method in message


@pytest.mark.parametrize("method", ["slow", "medium", "fast"])
def test_every_delivery_method_is_accepted(method: str) -> None:
    assert InventoryAction(delivery_method=method).delivery_method == method


def test_unknown_field_is_refused_by_name() -> None:
    message = rejection_message(buy_quantity={"toys": 1})
    assert "buy_quantity" in message
    assert "Extra inputs are not permitted" in message


def test_json_input_is_validated_the_same_way() -> None:
    good = InventoryAction.model_validate_json(
        '{"buy_quantities": {"toys": 4.0}, "delivery_method": "fast", '
        '"liquidate": {"groceries": 2}, "price_multipliers": {"toys": 1}}'
    )
    assert good.buy_quantities == {"toys": 4}
    assert good.delivery_method == "fast"
    assert good.liquidate == {"groceries": 2}
    assert good.price_multipliers == {"toys": 1.0}
    with pytest.raises(ValidationError, match=r"price_multipliers\['toys'\]"):
        InventoryAction.model_validate_json('{"price_multipliers": {"toys": 1' + "0" * 400 + "}}")
    with pytest.raises(ValidationError, match=r"buy_quantities\['toys'\]"):
        InventoryAction.model_validate_json('{"buy_quantities": {"toys": 2.5}}')
