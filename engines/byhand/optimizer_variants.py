"""The optimizers lesson's hand problem, one per variant: its inputs, the usual slips on
it, and the conditions the lesson text states about it.

The problem is a line like the gradient-descent lesson's: fit y = θx to three points,
L(θ) = ½ Σ (yᵢ − θxᵢ)², from θ₀ with rate α and momentum γ (Adam's β₁, β₂ and ε stay
torch.optim's defaults). Variant 0 is that lesson's own line; other variants draw small
integers and one-decimal rates and keep a candidate only if every claim of the text
holds for it (see ``problems``), so any variant a learner gets is a valid one.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from engines.byhand import gradient_descent as gd
from engines.byhand.update_rules import BETA1, BETA2, EPS, MOMENTUM, Vector, make, trajectory
from engines.byhand.variant_draw import draw

TABLE_STEPS = 20  # the lesson tables θ up to here
PORT_STEPS = 50  # how long the copied rate runs in both momentum forms
SLIP_MARGIN = 1e-3  # slips must be this far apart (absolute) to be told apart without doubt


@dataclass(frozen=True)
class OptimizerInputs:
    x: tuple[float, ...]
    y: tuple[float, ...]
    theta0: float
    lr: float  # α
    momentum: float  # γ
    port_lr: float  # a rate the article's form takes well and PyTorch's form does not

    @property
    def sum_x2(self) -> float:
        return sum(v * v for v in self.x)

    @property
    def theta_star(self) -> float:
        return sum(a * b for a, b in zip(self.x, self.y)) / self.sum_x2

    @property
    def momentum_critical_lr(self) -> float:
        """Heavy-ball momentum on a quadratic of curvature Σx² is stable for α·Σx² < 2(1 + γ)."""
        return 2.0 * (1.0 + self.momentum) / self.sum_x2

    def loss(self, theta: float) -> float:
        return gd.loss(theta, self.x, self.y)

    def grad(self, theta: float) -> float:
        return gd.grad(theta, self.x, self.y)

    def line_grad(self, theta: Vector) -> Vector:
        """∂L/∂θ as a one-element vector, the form the update rules step with."""
        return [self.grad(theta[0])]

    def thetas(self, name: str, steps: int, lr: float | None = None) -> list[float]:
        """θ₀ … θ_steps of optimizer ``name`` at rate ``lr`` (default α) with this γ."""
        optimizer = make(name, self.lr if lr is None else lr, self.momentum)
        return [t[0] for t in trajectory(optimizer, self.line_grad, [self.theta0], steps)]


def line_problem(x: tuple[float, ...], y: tuple[float, ...], theta0: float, lr: float,
                 momentum: float) -> OptimizerInputs:
    """The inputs with their copied rate: the first one-decimal rate at least 10 % past
    momentum's critical rate, far enough that PyTorch's form visibly diverges there."""
    critical = 2.0 * (1.0 + momentum) / sum(v * v for v in x)
    port_lr = math.ceil(round(11.0 * critical, 9)) / 10.0
    return OptimizerInputs(x=x, y=y, theta0=theta0, lr=lr, momentum=momentum, port_lr=port_lr)


ARTICLE = line_problem(gd.X, gd.Y, gd.THETA0, gd.LR, MOMENTUM)

# The pools other variants draw from: hand-friendly numbers only.
X_VALUES = (1, 2, 3, 4)
SLOPES = (-3, -2, -1, 1, 2, 3, 4)  # θ*, the slope the points lie on
THETA0S = (-3, -2, -1, 0, 1, 2, 3)
LRS = (0.1, 0.2, 0.3)
MOMENTUMS = (0.6, 0.8, 0.9)  # not 0.5: there γ = 1 − γ and two slips would coincide


def _candidate(rng: random.Random) -> OptimizerInputs:
    x = tuple(sorted(float(rng.choice(X_VALUES)) for _ in range(3)))
    slope = rng.choice(SLOPES)
    return line_problem(x, tuple(slope * v for v in x), float(rng.choice(THETA0S)), rng.choice(LRS),
                        rng.choice(MOMENTUMS))


def inputs(variant: int) -> OptimizerInputs:
    """The hand problem of ``variant`` (0: the gradient-descent lesson's line)."""
    if isinstance(variant, bool) or not isinstance(variant, int) or variant < 0:
        raise ValueError(f"variant must be a whole number at least 0, not {variant!r}.")
    if variant == 0:
        return ARTICLE
    return draw("opt", variant, _candidate, problems)


def variant_problems(variant: int) -> list[str]:
    """One sentence per condition of the lesson that ``variant``'s inputs break."""
    return problems(inputs(variant))


# --- the usual slips on the three compute steps ---------------------------------------


def slip_values(inp: OptimizerInputs) -> dict[str, float]:
    """What the usual slips give on the compute steps: the same steps, one mistake each."""
    lr, gamma, theta0 = inp.lr, inp.momentum, inp.theta0
    g0 = inp.grad(theta0)
    theta1 = theta0 - lr * g0  # both momentum forms' first step from v₀ = 0 is SGD's
    g1 = inp.grad(theta1)
    v1 = g0
    v2 = gamma * v1 + g1
    ema_v1 = (1.0 - gamma) * g0
    m1, v1_adam = (1.0 - BETA1) * g0, (1.0 - BETA2) * g0 * g0
    m_hat1, v_hat1 = m1 / (1.0 - BETA1), v1_adam / (1.0 - BETA2)
    return {
        "momentum_theta2_slip_no_momentum": inp.thetas("sgd", 2)[2],
        "momentum_theta2_slip_ema": inp.thetas("momentum_ema", 2)[2],
        "momentum_theta2_slip_old_grad": theta1 - lr * (gamma * v1 + g0),
        "momentum_theta2_slip_step_size": lr * v2,
        "momentum_theta2_slip_update": -lr * v2,  # the change in θ (also θ₁ stepped the wrong way)
        "momentum_theta2_slip_gamma_swapped": theta1 - lr * (v1 + gamma * g1),
        "ema_theta1_slip_pytorch_form": inp.thetas("momentum", 1)[1],
        "ema_theta1_slip_gamma_swapped": theta0 - lr * gamma * g0,
        "ema_theta1_slip_sign": theta0 + lr * ema_v1,
        "adam_theta1_slip_no_bias_correction": theta0 - lr * m1 / (math.sqrt(v1_adam) + EPS),
        "adam_theta1_slip_sign": theta0 + lr * m_hat1 / (math.sqrt(v_hat1) + EPS),
        "adam_theta1_slip_sgd": inp.thetas("sgd", 1)[1],
        "adam_theta1_slip_no_sqrt": theta0 - lr * m_hat1 / (v_hat1 + EPS),
    }


def answers(inp: OptimizerInputs) -> dict[str, float]:
    """The three compute steps' answers."""
    return {"momentum_theta2": inp.thetas("momentum", 2)[2], "ema_theta1": inp.thetas("momentum_ema", 1)[1],
            "adam_theta1": inp.thetas("adam", 1)[1]}


# --- the conditions -------------------------------------------------------------------


def _whole(v: float) -> bool:
    return float(v).is_integer() and abs(v) <= 20


def _one_decimal(v: float) -> bool:
    return abs(v * 10 - round(v * 10)) < 1e-9 and 0 < v < 1


def _friendly(inp: OptimizerInputs) -> list[str]:
    found = []
    if len(set(inp.x)) < 2:
        found.append(f"x = {list(inp.x)} is one point repeated: a fit needs two different xs.")
    if not all(_whole(v) for v in (*inp.x, *inp.y, inp.theta0)):
        found.append(f"x = {list(inp.x)}, y = {list(inp.y)} and θ₀ = {inp.theta0:g} are not all small integers.")
    for name, rate in (("α", inp.lr), ("γ", inp.momentum), ("the copied rate", inp.port_lr)):
        if not _one_decimal(rate):
            found.append(f"{name} = {rate:g} is not a number between 0 and 1 with one decimal.")
    return found


def _apart(answer: str, values: dict[str, float]) -> list[str]:
    """The step's slips, pairwise at least SLIP_MARGIN apart (each tells its own mistake)."""
    named = [(k, v) for k, v in values.items() if k.startswith(f"{answer}_slip_")]
    return [f"{a} = {va:.6g} and {b} = {vb:.6g} cannot be told apart."
            for i, (a, va) in enumerate(named) for b, vb in named[i + 1:]
            if not math.isfinite(vb) or abs(va - vb) < SLIP_MARGIN]


def _quoted(inp: OptimizerInputs) -> dict[str, float]:
    """Every number of the problem the lesson quotes somewhere, by name: its inputs, rates,
    the optimizers' first steps and the slips."""
    g0, gamma = inp.grad(inp.theta0), inp.momentum
    out = {f"x{i + 1}": v for i, v in enumerate(inp.x)} | {f"y{i + 1}": v for i, v in enumerate(inp.y)}
    out |= {"θ₀": inp.theta0, "θ*": inp.theta_star, "g₀": g0, "g₀²": g0 * g0, "α": inp.lr, "γ": gamma,
            "1 − γ": 1.0 - gamma, "α(1 − γ)": inp.lr * (1.0 - gamma), "1/(1 − γ)": 1.0 / (1.0 - gamma),
            "the critical rate": inp.momentum_critical_lr, "the copied rate": inp.port_lr,
            "β₁": BETA1, "β₂": BETA2, "ε": EPS}
    for name in ("sgd", "momentum", "momentum_ema", "adam"):
        thetas = inp.thetas(name, TABLE_STEPS)
        out |= {f"{name} θ{k}": t for k, t in enumerate(thetas)}
        out |= {f"{name} g{k}": inp.grad(t) for k, t in enumerate(thetas[:3])}
    momentum = make("momentum", inp.lr, gamma)
    for k in (1, 2):
        momentum.step([out[f"momentum θ{k - 1}"]], [out[f"momentum g{k - 1}"]])
        out[f"momentum v{k}"] = momentum.v[0]
    out["momentum_ema v1"] = (1.0 - gamma) * g0
    for name, form in (("PyTorch's", "momentum"), ("the article's", "momentum_ema")):
        out[f"{name} error at the copied rate"] = port_error(inp, form)
    return out | slip_values(inp)


def port_error(inp: OptimizerInputs, form: str) -> float:
    """How far momentum in ``form`` ends from the optimum after PORT_STEPS at the copied rate."""
    return abs(inp.thetas(form, PORT_STEPS, inp.port_lr)[-1] - inp.theta_star)


# The names under which an answer is itself quoted, and the inputs it may equal: Adam's
# first step from θ₀ = 0 is ±α, and with it 1 − γ where that equals α (the lesson lets
# both through, see the step's shown_ok).
OWN = {"momentum_theta2": ("momentum θ2",), "ema_theta1": ("momentum_ema θ1",),
       "adam_theta1": ("adam θ1", "α", "1 − γ")}


def _unique(answer: str, value: float, quoted: dict[str, float]) -> list[str]:
    """The answer is none of the other numbers, as computed or as shown to 3 or 4 digits."""
    return [f"{answer} = {value:.6g} is also {name} = {v:.4g}: the text would give it away."
            for name, v in quoted.items() if name not in OWN[answer]
            and min(abs(shown - value) for shown in (v, float(f"{v:.4g}"), float(f"{v:.3g}"))) < SLIP_MARGIN]


def _past(theta: float, inp: OptimizerInputs) -> float:
    """How far θ is past the optimum, seen from θ₀ (positive: on the far side)."""
    return (theta - inp.theta_star) * math.copysign(1.0, inp.theta_star - inp.theta0)


def problems(inp: OptimizerInputs) -> list[str]:
    """One sentence per claim of the lesson text that these inputs break."""
    found = _friendly(inp)
    if math.isclose(inp.theta0, inp.theta_star, abs_tol=1e-9):
        return found + [f"θ₀ = {inp.theta0:g} is the optimum: there is no gradient to follow."]
    sgd, momentum = inp.thetas("sgd", 2), inp.thetas("momentum", 2)
    # 01/02: plain gradient descent's first step overshoots and its second comes back;
    # momentum's second step goes further past than the first.
    if not _past(sgd[1], inp) > 0 > _past(sgd[2], inp):
        found.append(f"α·Σx² = {inp.lr * inp.sum_x2:g} is not between 1 and 2: gradient descent's θ₁ "
                     "does not overshoot the optimum and come back at θ₂.")
    if not _past(momentum[2], inp) > _past(momentum[1], inp):
        found.append(f"α·Σx² = {inp.lr * inp.sum_x2:g} is not below 1 + γ = {1 + inp.momentum:g}: "
                     "momentum's θ₂ does not go further past the optimum than θ₁.")
    # 04: the copied rate is past PyTorch momentum's critical rate and diverges there,
    # while the article's form at the same rate ends nearer the optimum than it started.
    start = abs(inp.theta0 - inp.theta_star)
    if not (inp.port_lr > inp.momentum_critical_lr and port_error(inp, "momentum") > 1e3 * start):
        found.append(f"PyTorch's momentum at the copied rate {inp.port_lr:g} does not diverge.")
    if not port_error(inp, "momentum_ema") < start:
        found.append(f"the article's momentum at the copied rate {inp.port_lr:g} does not approach the optimum.")
    quoted = _quoted(inp)
    for answer, value in answers(inp).items():
        found += _apart(answer, quoted)
        found += _unique(answer, value, quoted)
    return found
