"""A computational graph as plain data, for drawing a backward pass node by node.

Engines build these from the numbers they computed (nothing here is typed in by hand);
the graph view draws them. Values are plain Python: a float, a tuple of floats (a
vector) or a tuple of tuples (a matrix), so a graph survives JSON and a values table.

The backward pass visits every node that needs a gradient, from the loss back to the
parameters. Visiting node v applies the chain rule once:
``∂L/∂v = Σ over v's consumers c of ∂L/∂c · ∂c/∂v`` — each term travels along one edge
(its ``grad``), and their sum is the node's accumulated ``grad``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Union

from engines.byhand.walks import WALKS

Value = Union[float, tuple]  # float, tuple[float, ...] or tuple[tuple[float, ...], ...]

LEAF_OPS = ("input", "parameter", "target")


@dataclass(frozen=True)
class Node:
    id: str
    name: str  # short symbol: "z", "W₁"
    label: str  # what it is: "z = w·x + b"; for leaves usually the name
    op: str  # "input" | "parameter" | "target" | the operation, e.g. "sigmoid"
    value: Value
    grad: Value | None = None  # ∂L/∂node; None for nodes that need no gradient (inputs, targets)
    grad_rule: str = ""  # the chain rule for this node in symbols, e.g. "ŷ − y"

    @property
    def is_leaf(self) -> bool:
        return self.op in LEAF_OPS


@dataclass(frozen=True)
class Edge:
    source: str  # the node that feeds …
    target: str  # … this one
    local: str  # the local derivative ∂target/∂source, as a formula
    local_value: Value | None = None  # its value, when it is short enough to show
    grad: Value | None = None  # what flows back into source: ∂L/∂target · ∂target/∂source


@dataclass(frozen=True)
class Graph:
    name: str
    title: str
    nodes: tuple[Node, ...]  # in forward (topological) order
    edges: tuple[Edge, ...]
    loss: str  # id of the loss node

    def __post_init__(self) -> None:
        ids = [n.id for n in self.nodes]
        if len(set(ids)) != len(ids):
            raise ValueError(f"graph {self.name!r}: node ids repeat")
        position = {node_id: i for i, node_id in enumerate(ids)}
        if self.loss not in position:
            raise ValueError(f"graph {self.name!r}: loss node {self.loss!r} is not a node")
        for edge in self.edges:
            if edge.source not in position or edge.target not in position:
                raise ValueError(f"graph {self.name!r}: edge {edge.source}→{edge.target} names an unknown node")
            if position[edge.source] >= position[edge.target]:
                raise ValueError(f"graph {self.name!r}: nodes are not in forward order at {edge.source}→{edge.target}")

    def node(self, node_id: str) -> Node:
        return next(n for n in self.nodes if n.id == node_id)

    def consumers(self, node_id: str) -> tuple[Edge, ...]:
        """Edges out of a node: where its value is used, and so where its gradient comes from."""
        return tuple(e for e in self.edges if e.source == node_id)

    def inputs(self, node_id: str) -> tuple[Edge, ...]:
        return tuple(e for e in self.edges if e.target == node_id)

    @property
    def forward_order(self) -> tuple[str, ...]:
        """The computed nodes, in the order the forward pass evaluates them."""
        return tuple(n.id for n in self.nodes if not n.is_leaf)

    @property
    def backward_order(self) -> tuple[str, ...]:
        """Nodes that get a gradient, from the loss back to the leaves."""
        return tuple(n.id for n in reversed(self.nodes) if n.grad is not None)

    def walk_order(self, walk: str) -> tuple[tuple[str, str], ...]:
        """(phase, node id) stops of a walk: the forward pass, the backward pass, or both."""
        if walk not in WALKS:
            raise ValueError(f"a walk is one of {', '.join(WALKS)}, not {walk!r}")
        forward = tuple(("forward", n) for n in self.forward_order)
        backward = tuple(("backward", n) for n in self.backward_order)
        return {"forward": forward, "backward": backward, "both": forward + backward}[walk]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Graph":
        return cls(
            name=data["name"],
            title=data["title"],
            nodes=tuple(Node(**{**n, "value": _frozen(n["value"]), "grad": _frozen(n.get("grad"))})
                        for n in data["nodes"]),
            edges=tuple(Edge(**{**e, "local_value": _frozen(e.get("local_value")), "grad": _frozen(e.get("grad"))})
                        for e in data["edges"]),
            loss=data["loss"],
        )


def plain(value: Any) -> Value | None:
    """A NumPy array or number as a float / nested tuple of floats (None stays None)."""
    if value is None:
        return None
    if hasattr(value, "tolist"):
        value = value.tolist()
    return _frozen(value)


def _frozen(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return tuple(_frozen(v) for v in value)
    return None if value is None else float(value)
