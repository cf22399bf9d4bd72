"""Resolving an identifier (a name, a class, an instance or a config dict) to an object.

Each registry module (initializers, regularizers, constraints, losses, metrics) keeps
two plain dicts, its registered names (``"glorot_uniform"``) and its class names
(``"GlorotUniform"``), and its own ``get``, which calls :func:`resolve` here or, where
its rules differ, the lookups :func:`by_name` and :func:`by_class_name`. Errors use the
one message form of :func:`rnnkit.errors.argument_message`.

>>> class Thing:
...     def __init__(self, size=1):
...         self.size = size
...     @classmethod
...     def from_config(cls, config):
...         return cls(**config)
...     def get_config(self):
...         return {"size": self.size}
>>> names, classes = {"thing": Thing}, {"Thing": Thing}
>>> def get(identifier):
...     return resolve(identifier, Thing, names, classes, owner="demo", name="thing",
...                    expected="a thing name or object")
>>> get({"class_name": "Thing", "config": {"size": 3}}).size
3
>>> serialize(get("thing"))
{'class_name': 'Thing', 'config': {'size': 1}}
>>> get("other")
Traceback (most recent call last):
...
rnnkit.errors.ArgumentError: demo: `thing` must be one of thing; got 'other'.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from rnnkit.errors import ArgumentError, ArgumentTypeError, argument_message

Factory = Callable[..., Any]


def is_config(identifier: Any) -> bool:
    """Whether ``identifier`` is a dict ``{"class_name": str, ...}`` as :func:`serialize` writes."""
    return isinstance(identifier, dict) and isinstance(identifier.get("class_name"), str)


def by_name(
    identifier: str,
    names: Mapping[str, Factory],
    classes: Mapping[str, Factory],
    *,
    owner: str,
    name: str,
    listed: Iterable[str] | None = None,
) -> Factory:
    """Return what ``identifier`` names: a registered name first, then a class name.

    Args:
        identifier: The name to look up.
        names: Registered names.
        classes: Class names.
        owner: Who asks, for the error message.
        name: The argument being resolved, for the error message.
        listed: The names the error message offers; ``names`` when None.

    Raises:
        ArgumentError: ``identifier`` is in neither dict.
    """
    factory = names.get(identifier) or classes.get(identifier)
    if factory is None:
        expected = "one of " + ", ".join(names if listed is None else listed)
        raise ArgumentError(argument_message(owner, name, expected, identifier))
    return factory


def by_class_name(
    identifier: dict[str, Any],
    classes: Mapping[str, Factory],
    names: Mapping[str, Factory] | None = None,
    *,
    owner: str,
    name: str,
) -> Factory:
    """Return what ``identifier["class_name"]`` names: a class name first, then a registered name.

    Args:
        identifier: A dict for which :func:`is_config` holds.
        classes: Class names.
        names: Registered names, also accepted as class names; none when None.
        owner: Who asks, for the error message.
        name: The argument being resolved, for the error message.

    Raises:
        ArgumentError: the class name is in neither dict (the message lists ``classes``).
    """
    class_name = identifier["class_name"]
    factory = classes.get(class_name) or (names or {}).get(class_name)
    if factory is None:
        expected = "a class name among " + ", ".join(classes)
        raise ArgumentError(argument_message(owner, name, expected, identifier))
    return factory


def _from_config(factory: Factory, config: dict[str, Any]) -> Any:
    return factory.from_config(config)


def _call(factory: Factory, identifier: str) -> Any:
    return factory()


def resolve(
    identifier: Any,
    base: type,
    names: Mapping[str, Factory],
    classes: Mapping[str, Factory],
    *,
    owner: str,
    name: str,
    expected: str,
    build: Callable[[Factory, dict[str, Any]], Any] = _from_config,
    create: Callable[[Factory, str], Any] = _call,
) -> Any:
    """Return the object ``identifier`` gives, names or describes.

    An instance of ``base`` is returned as is; a subclass of ``base`` is called with no
    arguments; a config dict (see :func:`is_config`) goes through :func:`by_class_name`
    and ``build``; a string goes through :func:`by_name` and ``create``. None is not
    accepted: a module that maps None to None checks it first.

    Args:
        identifier: What to resolve.
        base: The base class of the objects.
        names: Registered names.
        classes: Class names.
        owner: Who asks, for error messages.
        name: The argument being resolved, for error messages.
        expected: What ``identifier`` must be, for the error on any other type.
        build: ``build(factory, config)`` makes the object of a config dict
            (default ``factory.from_config(config)``).
        create: ``create(factory, identifier)`` makes the object of a name
            (default ``factory()``).

    Raises:
        ArgumentError: an unknown name or class name.
        ArgumentTypeError: anything else.
    """
    if isinstance(identifier, base):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, base):
        return identifier()
    if is_config(identifier):
        factory = by_class_name(identifier, classes, names, owner=owner, name=name)
        return build(factory, identifier.get("config") or {})
    if isinstance(identifier, str):
        return create(by_name(identifier, names, classes, owner=owner, name=name), identifier)
    raise ArgumentTypeError(argument_message(owner, name, expected, identifier))


def serialize(obj: Any) -> dict[str, Any]:
    """Return ``{"class_name": ..., "config": ...}`` of an object with ``get_config``."""
    return {"class_name": type(obj).__name__, "config": obj.get_config()}
