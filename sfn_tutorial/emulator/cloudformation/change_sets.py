"""What a change set shows: each resource executing it would add, modify or remove, in the
shape of ``DescribeChangeSet``'s ``Changes``.

For a resource that stays, each top-level property whose value changes is one ``Detail``:

* ``Evaluation``: ``Static`` when the new value is known now, ``Dynamic`` when it depends on
  a resource that is added or replaced (its ``Ref`` or attributes are only known then);
* ``ChangeSource``: ``DirectModification`` (the template changed there), ``ParameterReference``
  (a parameter it uses changed), ``ResourceReference`` / ``ResourceAttribute`` (a ``Ref`` /
  ``Fn::GetAtt`` of a resource that changes), with the ``CausingEntity``;
* ``Target``: ``Properties`` (or ``Tags``), the property's name and ``RequiresRecreation``:
  ``Always`` for a create-only property (the type's schema says which), else ``Never``.

``Replacement`` is ``True`` when a create-only property changes for sure, ``Conditional``
when one may (a dynamic value), else ``False``.
"""

from __future__ import annotations

from sfn_tutorial.emulator.cloudformation import intrinsics, provisioning, schemas


def changes(stack, template: dict, parameters: dict, exports: dict, language_extensions=False):
    """``Changes`` for bringing ``stack`` to ``template`` with ``parameters``."""
    old_template = stack.processed or {"Resources": {}}
    old_parameters = stack.parameters
    changed_parameters = {
        name
        for name in set(parameters) | set(old_parameters)
        if parameters.get(name) != old_parameters.get(name)
    }
    values = provisioning.evaluator(
        stack, template, parameters, exports, language_extensions=language_extensions
    )
    unknown: dict[str, object] = {}  # resources whose Ref and attributes are not known yet
    found = []
    for logical_id in provisioning.creation_order(template):
        entry = template["Resources"][logical_id]
        if not values.included(entry):
            continue
        record = stack.resources.get(logical_id)
        if record is None or record.made is None or record.type_name != entry["Type"]:
            unknown[logical_id] = intrinsics.UNKNOWN
            found.append(_change("Add", logical_id, entry["Type"]))
            continue
        values = provisioning.evaluator(
            stack, template, parameters, exports, unknown, language_extensions
        )
        change = _modification(
            record, entry, values, old_template, changed_parameters, unknown, stack.region_name
        )
        if change is not None:
            found.append(change)
            if change["ResourceChange"]["Replacement"] != "False":
                unknown[logical_id] = intrinsics.UNKNOWN
    for logical_id, record in stack.resources.items():
        entry = template["Resources"].get(logical_id)
        if record.made is not None and (entry is None or not values.included(entry)):
            removal = _change("Remove", logical_id, record.type_name)
            removal["ResourceChange"]["PhysicalResourceId"] = record.physical_id
            removal["ResourceChange"]["PolicyAction"] = (
                "Retain" if record.entry.get("DeletionPolicy") == "Retain" else "Delete"
            )
            found.append(removal)
    return found


def _change(action: str, logical_id: str, type_name: str) -> dict:
    return {
        "Type": "Resource",
        "ResourceChange": {
            "Action": action,
            "LogicalResourceId": logical_id,
            "ResourceType": type_name,
            "Scope": [],
            "Details": [],
        },
    }


def _modification(record, entry, values, old_template, changed_parameters, unknown, region):
    new_properties = values.resolve(entry.get("Properties") or {})
    old_properties = record.properties or {}
    old_entry = (old_template.get("Resources") or {}).get(record.logical_id, {})
    old_raw, new_raw = old_entry.get("Properties") or {}, entry.get("Properties") or {}
    create_only = {path[0] for path in schemas.create_only(record.type_name, region)}
    details, scope = [], []
    replacement = "False"
    for name in sorted(set(old_properties) | set(new_properties)):
        old, new = old_properties.get(name), new_properties.get(name)
        if old == new and old_raw.get(name) == new_raw.get(name):
            continue
        dynamic = intrinsics.contains_unknown(new)
        if old == new and not dynamic:
            continue
        recreation = "Always" if name in create_only else "Never"
        attribute = "Tags" if name == "Tags" else "Properties"
        target = {"Attribute": attribute, "RequiresRecreation": recreation}
        if attribute == "Properties":
            target["Name"] = name
        for source, entity in _sources(
            old_raw.get(name), new_raw.get(name), changed_parameters, unknown
        ):
            detail = {
                "Target": target,
                "Evaluation": "Dynamic" if dynamic else "Static",
                "ChangeSource": source,
            }
            if entity:
                detail["CausingEntity"] = entity
            details.append(detail)
        if attribute not in scope:
            scope.append(attribute)
        if recreation == "Always":
            replacement = "Conditional" if dynamic and replacement != "True" else "True"
    if not details and entry.get("Metadata") == record.entry.get("Metadata"):
        return None
    change = _change("Modify", record.logical_id, record.type_name)
    change["ResourceChange"].update(
        PhysicalResourceId=record.physical_id,
        Replacement=replacement,
        Scope=scope,
        Details=details,
    )
    return change


def _sources(old_raw, new_raw, changed_parameters, unknown) -> list[tuple[str, str | None]]:
    """Why a property's value changes: the template itself, a parameter, or a resource."""
    found = []
    if old_raw != new_raw:
        found.append(("DirectModification", None))
    for name in sorted(intrinsics.references(new_raw, include_parameters=True)):
        if name in changed_parameters:
            found.append(("ParameterReference", name))
    for logical_id, attribute in _referenced(new_raw):
        if logical_id in unknown:
            if attribute:
                found.append(("ResourceAttribute", f"{logical_id}.{attribute}"))
            else:
                found.append(("ResourceReference", logical_id))
    return found or [("DirectModification", None)]


def _referenced(value) -> list[tuple[str, str | None]]:
    """``(logical id, attribute or None)`` for each ``Ref`` and ``Fn::GetAtt`` in ``value``."""
    found = []
    if isinstance(value, list):
        for item in value:
            found += _referenced(item)
    elif isinstance(value, dict):
        if len(value) == 1 and "Ref" in value and isinstance(value["Ref"], str):
            return [(value["Ref"], None)]
        if len(value) == 1 and "Fn::GetAtt" in value:
            names = value["Fn::GetAtt"]
            names = names.split(".", 1) if isinstance(names, str) else names
            return [(names[0], names[1] if isinstance(names[1], str) else None)]
        if len(value) == 1 and "Fn::Sub" in value:
            argument = value["Fn::Sub"]
            text = argument if isinstance(argument, str) else argument[0]
            if isinstance(text, str):
                for name in intrinsics.SUB_VARIABLE.findall(text):
                    if not name.startswith("!"):
                        head, _, attribute = name.partition(".")
                        found.append((head, attribute or None))
            if isinstance(argument, list) and len(argument) > 1:
                found += _referenced(argument[1])
            return found
        for item in value.values():
            found += _referenced(item)
    return found
