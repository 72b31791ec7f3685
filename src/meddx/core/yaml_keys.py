"""YAML read with each mapping key at most once.

PyYAML keeps the last of two equal keys without a word: a config that says ``data:`` twice (one
line copied and edited, the old one left) trained on whichever came last. ``load_unique`` raises
``yaml.constructor.ConstructorError`` naming the key and both lines instead, so the caller's
"not valid YAML" message says where.
"""

from __future__ import annotations

from typing import Any


def load_unique(text: str) -> Any:
    """``yaml.safe_load(text)``, refusing a mapping that holds one key twice."""
    import yaml

    class _UniqueKeyLoader(yaml.SafeLoader):
        def construct_mapping(self, node: Any, deep: bool = False) -> Any:
            if isinstance(node, yaml.MappingNode):
                seen: dict[Any, Any] = {}
                for key_node, _ in node.value:
                    if key_node.tag == "tag:yaml.org,2002:merge":  # `<<: *defaults`: its keys may be overridden
                        continue
                    key = self.construct_object(key_node, deep=True)
                    try:
                        first = seen.setdefault(key, key_node)
                    except TypeError:  # an unhashable key: the base class reports it
                        continue
                    if first is not key_node:
                        raise yaml.constructor.ConstructorError(
                            None, None,
                            f"expected each field once, but {key!r} (first at line {first.start_mark.line + 1}) "
                            "is given again", key_node.start_mark)
            return super().construct_mapping(node, deep=deep)

    return yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass
