"""What Discord refuses, checked the way Discord does: message, embed, component, modal and command limits."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from tests.fakes.discord.model import (
    FLAG_IS_COMPONENTS_V2,
)

# --------------------------------------------------------------------------------------------------
# Errors and validation
# --------------------------------------------------------------------------------------------------


class ApiError(Exception):
    """Raised inside route handlers; rendered as a Discord-style JSON error response."""

    def __init__(self, status: int, code: int, message: str, errors: dict | None = None) -> None:
        super().__init__(f"{status} {code} {message}")
        self.status = status
        self.code = code
        self.message = message
        self.errors = errors

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.errors:
            body["errors"] = self.errors
        return body

    @classmethod
    def invalid_form(cls, errors: dict) -> ApiError:
        return cls(400, 50035, "Invalid Form Body", errors)


def _e(code: str, message: str) -> dict:
    return {"_errors": [{"code": code, "message": message}]}


def _too_long(limit: int) -> dict:
    return _e("BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length.")


def _required() -> dict:
    return _e("BASE_TYPE_REQUIRED", "This field is required")


def _check_len(errors: dict, key: str, value: Any, limit: int, *, required: bool = False) -> None:
    if value is None or value == "":
        if required:
            errors[key] = _required()
        return
    if len(str(value)) > limit:
        errors[key] = _too_long(limit)


def validate_embeds(embeds: Any) -> dict:
    """Discord's embed limits. Returns a (possibly empty) errors dict for the ``embeds`` key."""
    errors: dict[str, Any] = {}
    if not isinstance(embeds, list):
        return _e("LIST_TYPE_CONVERT", "Only iterables may be used in a ListType")
    if len(embeds) > 10:
        return _too_long(10)
    total = 0
    for i, embed in enumerate(embeds):
        e: dict[str, Any] = {}
        if not isinstance(embed, Mapping):
            errors[str(i)] = _e("DICT_TYPE_CONVERT", "Only dictionaries may be used in a DictType")
            continue
        title, desc = embed.get("title"), embed.get("description")
        _check_len(e, "title", title, 256)
        _check_len(e, "description", desc, 4096)
        total += len(title or "") + len(desc or "")
        fields = embed.get("fields") or []
        if len(fields) > 25:
            e["fields"] = _too_long(25)
        else:
            fe: dict[str, Any] = {}
            for j, fld in enumerate(fields):
                f_err: dict[str, Any] = {}
                _check_len(f_err, "name", fld.get("name"), 256, required=True)
                _check_len(f_err, "value", fld.get("value"), 1024, required=True)
                total += len(fld.get("name") or "") + len(fld.get("value") or "")
                if f_err:
                    fe[str(j)] = f_err
            if fe:
                e["fields"] = fe
        footer = embed.get("footer") or {}
        if footer:
            f_err = {}
            _check_len(f_err, "text", footer.get("text"), 2048)
            total += len(footer.get("text") or "")
            if f_err:
                e["footer"] = f_err
        author = embed.get("author") or {}
        if author:
            a_err: dict[str, Any] = {}
            _check_len(a_err, "name", author.get("name"), 256)
            total += len(author.get("name") or "")
            if a_err:
                e["author"] = a_err
        if e:
            errors[str(i)] = e
    if total > 6000:
        errors.setdefault("_errors", []).append(
            {"code": "MAX_EMBED_SIZE_EXCEEDED", "message": "Embed size exceeds maximum size of 6000"}
        )
    return errors


_SELECT_TYPES = {3, 5, 6, 7, 8}


def _validate_component(comp: Any, seen: set[str], counter: list[int], *, in_modal: bool = False) -> dict:
    e: dict[str, Any] = {}
    if not isinstance(comp, Mapping):
        return _e("DICT_TYPE_CONVERT", "Only dictionaries may be used in a DictType")
    counter[0] += 1
    ctype = comp.get("type")
    custom_id = comp.get("custom_id")
    if custom_id is not None:
        if len(str(custom_id)) > 100:
            e["custom_id"] = _too_long(100)
        elif custom_id in seen:
            e["custom_id"] = _e("COMPONENT_CUSTOM_ID_DUPLICATED", "Component custom id cannot be duplicated")
        seen.add(custom_id)
    if ctype == 1:  # action row
        children = comp.get("components") or []
        if not children:
            e["components"] = _e("BASE_TYPE_MIN_LENGTH", "Must be 1 or more in length.")
        elif (
            any(c.get("type") in _SELECT_TYPES or c.get("type") == 4 for c in children) and len(children) > 1
        ):
            e["components"] = _e(
                "COMPONENT_LAYOUT_WIDTH_EXCEEDED", "The specified component exceeds the maximum width"
            )
        elif len(children) > 5:
            e["components"] = _too_long(5)
        else:
            ce = {}
            for i, child in enumerate(children):
                sub = _validate_component(child, seen, counter, in_modal=in_modal)
                if sub:
                    ce[str(i)] = sub
            if ce:
                e["components"] = ce
    elif ctype == 2:  # button
        style = comp.get("style")
        _check_len(e, "label", comp.get("label"), 80)
        if style == 5:
            if not comp.get("url"):
                e["url"] = _required()
            if custom_id is not None:
                e["custom_id"] = _e("BUTTON_LINK_NO_CUSTOM_ID", "A link button cannot have a custom id")
        elif style == 6:
            if not comp.get("sku_id"):
                e["sku_id"] = _required()
        else:
            if style not in (1, 2, 3, 4):
                e["style"] = _e("ENUM_TYPE_COERCE", f'Value "{style}" is not a valid enum value.')
            if not custom_id:
                e["custom_id"] = _required()
            if not comp.get("label") and not comp.get("emoji"):
                e["label"] = _e("BUTTON_LABEL_OR_EMOJI_REQUIRED", "A label or emoji is required")
    elif ctype in _SELECT_TYPES:
        if not custom_id:
            e["custom_id"] = _required()
        _check_len(e, "placeholder", comp.get("placeholder"), 150)
        for key in ("min_values", "max_values"):
            value = comp.get(key)
            if value is not None and not (0 <= int(value) <= 25):
                e[key] = _e("NUMBER_TYPE_MAX", "int value should be less than or equal to 25.")
        if ctype == 3:
            options = comp.get("options") or []
            if not options:
                e["options"] = _e("BASE_TYPE_MIN_LENGTH", "Must be 1 or more in length.")
            elif len(options) > 25:
                e["options"] = _too_long(25)
            else:
                oe = {}
                for i, opt in enumerate(options):
                    o_err: dict[str, Any] = {}
                    _check_len(o_err, "label", opt.get("label"), 100, required=True)
                    _check_len(o_err, "value", opt.get("value"), 100, required=True)
                    _check_len(o_err, "description", opt.get("description"), 100)
                    if o_err:
                        oe[str(i)] = o_err
                if oe:
                    e["options"] = oe
    elif ctype == 4:  # text input (modals only)
        if not in_modal:
            e["type"] = _e("COMPONENT_TYPE_INVALID", "Text inputs are only allowed in modals")
        if not custom_id:
            e["custom_id"] = _required()
        _check_len(e, "label", comp.get("label"), 45)
        _check_len(e, "placeholder", comp.get("placeholder"), 100)
        _check_len(e, "value", comp.get("value"), 4000)
    elif ctype == 10:  # text display (components v2)
        _check_len(e, "content", comp.get("content"), 4000, required=True)
    # Containers (v2): recurse into nested components, accessories and labels.
    if ctype != 1:
        for key in ("components", "items"):
            children = comp.get(key)
            if ctype in (12,) or not isinstance(children, list):
                continue
            ce = {}
            for i, child in enumerate(children):
                if isinstance(child, Mapping) and "type" in child:
                    sub = _validate_component(child, seen, counter, in_modal=in_modal)
                    if sub:
                        ce[str(i)] = sub
            if ce:
                e[key] = ce
        for key in ("accessory", "component"):
            child = comp.get(key)
            if isinstance(child, Mapping):
                sub = _validate_component(child, seen, counter, in_modal=in_modal)
                if sub:
                    e[key] = sub
    return e


def validate_components(components: Any, *, v2: bool = False, in_modal: bool = False) -> dict:
    if not isinstance(components, list):
        return _e("LIST_TYPE_CONVERT", "Only iterables may be used in a ListType")
    errors: dict[str, Any] = {}
    if not v2 and len(components) > 5:
        return _too_long(5)
    seen: set[str] = set()
    counter = [0]
    for i, comp in enumerate(components):
        if not v2 and not in_modal and isinstance(comp, Mapping) and comp.get("type") != 1:
            errors[str(i)] = _e("COMPONENT_TYPE_INVALID", "Top-level components must be action rows")
            continue
        sub = _validate_component(comp, seen, counter, in_modal=in_modal)
        if sub:
            errors[str(i)] = sub
    if v2 and counter[0] > 40:
        errors.setdefault("_errors", []).append(
            {"code": "COMPONENT_MAX_TOTAL_COMPONENTS_EXCEEDED", "message": "Must be 40 or fewer in total."}
        )
    return errors


def validate_message_payload(payload: Mapping[str, Any], *, files: int = 0, creating: bool = True) -> None:
    """Raise :class:`ApiError` if ``payload`` breaks Discord's message limits.

    ``creating`` adds the "cannot send an empty message" rule (edits only validate present fields).
    """
    errors: dict[str, Any] = {}
    flags = int(payload.get("flags") or 0)
    v2 = bool(flags & FLAG_IS_COMPONENTS_V2)
    content = payload.get("content")
    if content is not None:
        if len(str(content)) > 2000:
            errors["content"] = _too_long(2000)
        elif v2 and content:
            errors["content"] = _e(
                "MESSAGE_CANNOT_USE_LEGACY_FIELDS_WITH_COMPONENTS_V2",
                "The 'content' field cannot be used when using MessageFlags.IS_COMPONENTS_V2",
            )
    embeds = payload.get("embeds")
    if embeds is not None:
        if v2 and embeds:
            errors["embeds"] = _e(
                "MESSAGE_CANNOT_USE_LEGACY_FIELDS_WITH_COMPONENTS_V2",
                "The 'embeds' field cannot be used when using MessageFlags.IS_COMPONENTS_V2",
            )
        else:
            emb_errors = validate_embeds(embeds)
            if emb_errors:
                errors["embeds"] = emb_errors
    components = payload.get("components")
    if components is not None:
        comp_errors = validate_components(components, v2=v2)
        if comp_errors:
            errors["components"] = comp_errors
    attachments = payload.get("attachments")
    if (attachments is not None and len(attachments) > 10) or files > 10:
        errors["attachments"] = _too_long(10)
    if errors:
        raise ApiError.invalid_form(errors)
    if creating:
        has_body = (
            bool((content or "").strip() if isinstance(content, str) else content)
            or any(_embed_has_content(e) for e in embeds or [])
            or bool(components)
            or files > 0
            or bool(payload.get("sticker_ids"))
            or bool(payload.get("poll"))
            or bool(attachments)
        )
        if not has_body:
            raise ApiError(400, 50006, "Cannot send an empty message")


def _embed_has_content(embed: Any) -> bool:
    if not isinstance(embed, Mapping):
        return False
    return bool(
        embed.get("title")
        or embed.get("description")
        or embed.get("fields")
        or (embed.get("footer") or {}).get("text")
        or (embed.get("author") or {}).get("name")
        or (embed.get("image") or {}).get("url")
        or (embed.get("thumbnail") or {}).get("url")
    )


def validate_modal(data: Mapping[str, Any]) -> None:
    errors: dict[str, Any] = {}
    _check_len(errors, "title", data.get("title"), 45, required=True)
    _check_len(errors, "custom_id", data.get("custom_id"), 100, required=True)
    components = data.get("components") or []
    if not components:
        errors["components"] = _e("BASE_TYPE_MIN_LENGTH", "Must be 1 or more in length.")
    elif len(components) > 5:
        errors["components"] = _too_long(5)
    else:
        comp_errors = validate_components(components, in_modal=True)
        if comp_errors:
            errors["components"] = comp_errors
    if errors:
        raise ApiError.invalid_form({"data": errors})


def validate_choices(data: Mapping[str, Any]) -> None:
    choices = data.get("choices")
    errors: dict[str, Any] = {}
    if choices is None:
        errors["choices"] = _required()
    elif len(choices) > 25:
        errors["choices"] = _too_long(25)
    else:
        ce = {}
        for i, choice in enumerate(choices):
            c_err: dict[str, Any] = {}
            _check_len(c_err, "name", choice.get("name"), 100, required=True)
            if isinstance(choice.get("value"), str):
                _check_len(c_err, "value", choice.get("value"), 100)
            if c_err:
                ce[str(i)] = c_err
        if ce:
            errors["choices"] = ce
    if errors:
        raise ApiError.invalid_form({"data": errors})


_COMMAND_NAME_RE = re.compile(r"^[-_'\w]{1,32}$", re.UNICODE)


def validate_commands(commands: Any) -> None:
    if not isinstance(commands, list):
        raise ApiError.invalid_form(_e("LIST_TYPE_CONVERT", "Only iterables may be used in a ListType"))
    if len(commands) > 100:
        raise ApiError.invalid_form(_too_long(100))
    errors: dict[str, Any] = {}

    def check_options(options: list, path_errors: dict) -> None:
        if len(options) > 25:
            path_errors["options"] = _too_long(25)
            return
        oe: dict[str, Any] = {}
        seen_optional = False
        for i, opt in enumerate(options):
            o_err: dict[str, Any] = {}
            name = opt.get("name") or ""
            if not _COMMAND_NAME_RE.match(name) or name != name.lower():
                o_err["name"] = _e("APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid")
            _check_len(o_err, "description", opt.get("description"), 100, required=True)
            if opt.get("type") in (1, 2):
                check_options(opt.get("options") or [], o_err)
            else:
                if opt.get("required"):
                    if seen_optional:
                        o_err["required"] = _e(
                            "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
                            "Required options must be placed before non-required options",
                        )
                else:
                    seen_optional = True
                choices = opt.get("choices") or []
                if len(choices) > 25:
                    o_err["choices"] = _too_long(25)
            if o_err:
                oe[str(i)] = o_err
        if oe:
            path_errors["options"] = oe

    names: set[tuple[str, int]] = set()
    for i, cmd in enumerate(commands):
        c_err: dict[str, Any] = {}
        ctype = cmd.get("type", 1)
        name = cmd.get("name") or ""
        if ctype == 1:
            if not _COMMAND_NAME_RE.match(name) or name != name.lower():
                c_err["name"] = _e("APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid")
            _check_len(c_err, "description", cmd.get("description"), 100, required=True)
            check_options(cmd.get("options") or [], c_err)
        else:
            _check_len(c_err, "name", name, 32, required=True)
        if (name, ctype) in names:
            c_err["name"] = _e(
                "APPLICATION_COMMANDS_DUPLICATE_NAME", f"Application command names must be unique: {name}"
            )
        names.add((name, ctype))
        if c_err:
            errors[str(i)] = c_err
    if errors:
        raise ApiError.invalid_form(errors)
