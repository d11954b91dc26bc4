"""The optimizers lesson: the numbers it quotes, its two runs and its cross-checks.

The update rules themselves are in ``update_rules`` (plain floats, no torch); their
torch.optim counterparts in ``torch_twins``. Two problems: the gradient-descent lesson's
y = θx (one parameter) and Rosenbrock's valley, where SGD, momentum and Adam race.
``checks`` and the ``opt.compare`` run replay the same steps with ``torch.optim``.
"""

from __future__ import annotations

import math
from typing import Any, Iterator, Sequence

from engines.byhand import gradient_descent as gd
from engines.byhand.torch_twins import TorchRun, line_loss
from engines.byhand.update_rules import BETA1, BETA2, EPS, MOMENTUM, OPTIMIZERS, Vector, make, trajectory
from engines.core.events import Event, Finished, Progress, Started
from engines.core.params import Param, ParamError
from engines.core.runtime import Control, EngineSpec

# The shared problem is the gradient-descent lesson's: y = θx on three points, θ₀ = 0.
LR = gd.LR  # 0.1
TABLE_STEPS = 20  # step 1 of the lesson tables θ up to here


def line_grad(theta: Vector) -> Vector:
    """∂L/∂θ of the shared problem, as a one-element vector."""
    return [gd.grad(theta[0])]


def line_thetas(name: str, steps: int, lr: float = LR, **hyper: float) -> list[float]:
    return [t[0] for t in trajectory(make(name, lr, **hyper), line_grad, [gd.THETA0], steps)]


# --- the race surface ----------------------------------------------------------------

A, B = 1.0, 100.0
START = (-1.5, 2.0)
RACERS = ("sgd", "momentum", "adam")
RACE_LR = 1e-3
# SGD's step is lr × gradient (here ~160 at the start); Adam's is about lr in θ's own
# units, whatever the gradient. One number cannot suit both, so in race mode Adam runs
# at this multiple of lr. Alone (optimizer=adam) it uses lr as given.
RACE_ADAM_LR_FACTOR = 100.0
RACE_STEPS = 1000
RACE_TARGET_LOSS = 1e-3


def rosenbrock(x: float, y: float) -> float:
    r = y - x * x
    return (A - x) * (A - x) + B * r * r


def rosenbrock_grad(p: Vector) -> Vector:
    x, y = p
    r = y - x * x
    return [-2.0 * (A - x) - 4.0 * B * x * r, 2.0 * B * r]


def rosenbrock_loss(p):
    """The same surface on a torch tensor, for torch.optim to follow (autograd's gradient)."""
    return (A - p[0]) ** 2 + B * (p[1] - p[0] ** 2) ** 2


def race_lr(name: str, lr: float, racing: bool) -> float:
    return lr * RACE_ADAM_LR_FACTOR if racing and name == "adam" else lr


def race_positions(names: Sequence[str], lr: float, momentum: float, beta1: float, beta2: float,
                   steps: int) -> Iterator[dict[str, tuple[float, float]]]:
    """Each racer's (x, y) at k = 0..steps; PyTorch's momentum form (what torch.optim runs)."""
    racing = len(names) > 1
    optimizers = {n: make(n, race_lr(n, lr, racing), momentum, beta1, beta2) for n in names}
    points = {n: list(START) for n in names}
    for k in range(steps + 1):
        yield {n: (p[0], p[1]) for n, p in points.items()}
        if k < steps:
            points = {n: optimizers[n].step(p, rosenbrock_grad(p)) for n, p in points.items()}


class _Fraction(Param):
    """A decay factor (β₁, β₂, γ): at least 0 and *below* 1, where averages stop forgetting."""

    def describe(self) -> str:
        return "a number at least 0 and less than 1"

    def check(self, value: Any) -> Any:
        value = super().check(value)
        if value >= 1.0:
            raise ParamError(f"{self.name} must be {self.describe()}, not {value:g}.")
        return value


def _fraction(name: str, default: float, help: str) -> Param:
    return _Fraction(name, float, default, help, minimum=0.0)


def race(config: dict[str, Any], ctl: Control) -> Iterator[Event]:
    """Progress per step: each racer's x, y and loss; ``loss`` is the leader's (lowest)."""
    names = RACERS if config["optimizer"] == "race" else (config["optimizer"],)
    lr, steps = config["lr"], config["steps"]
    shown = dict(config)
    if len(names) > 1:
        shown["adam_lr"] = race_lr("adam", lr, True)
    yield Started(device="cpu", config=shown, total_steps=steps)
    values: dict[str, float] = {}
    positions = race_positions(names, lr, config["momentum"], config["beta1"], config["beta2"], steps)
    for k, points in enumerate(positions):
        if ctl.stop_requested:
            return
        ctl.poll()
        values = {}
        for name, (x, y) in points.items():
            values.update({f"{name}_x": x, f"{name}_y": y, f"{name}_loss": rosenbrock(x, y)})
        losses = [values[f"{n}_loss"] for n in names]
        finite = [v for v in losses if math.isfinite(v)]
        # The leader's loss keeps the curve finite while one racer blows up; the runtime
        # then names that racer's value (e.g. sgd_loss) when it ends the run as diverged.
        yield Progress(step=k, loss=min(finite) if finite else losses[0], lr=lr, values=values)
    leader = min(names, key=lambda n: values[f"{n}_loss"])
    yield Finished("completed", {**values, "leader": leader})


RACE = EngineSpec(
    name="opt.race",
    title="SGD, momentum and Adam racing on the Rosenbrock valley",
    params=(
        Param("optimizer", str, "race", "race runs sgd, momentum and adam together",
              choices=("race", *RACERS)),
        Param("lr", float, RACE_LR, f"learning rate α (in a race, Adam uses {RACE_ADAM_LR_FACTOR:g}·α)",
              minimum=0.0, exclusive_minimum=True, maximum=10.0),
        _fraction("beta1", BETA1, "Adam's β₁, decay of the gradient average"),
        _fraction("beta2", BETA2, "Adam's β₂, decay of the squared-gradient average"),
        _fraction("momentum", MOMENTUM, "momentum γ (PyTorch's form)"),
        Param("steps", int, RACE_STEPS, "steps after the start", minimum=1, maximum=100_000),
    ),
    run=race,
    smoke={"steps": 20},
)


# --- from the formulas vs torch.optim ------------------------------------------------


def compare(config: dict[str, Any], ctl: Control) -> Iterator[Event]:
    """The shared problem stepped by the formula and by torch.optim side by side."""
    name, lr, steps = config["optimizer"], config["lr"], config["steps"]
    hyper = {k: config[k] for k in ("momentum", "beta1", "beta2")}
    yield Started(device="cpu", config=dict(config), total_steps=steps)
    ours = make(name, lr, **hyper)
    theirs = TorchRun(name, line_loss, [gd.THETA0], lr, dtype=config["dtype"], **hyper)
    theta, reference = [gd.THETA0], theirs.theta
    worst = 0.0
    for k in range(steps + 1):
        if ctl.stop_requested:
            return
        ctl.poll()
        grad = line_grad(theta)
        diff = theta[0] - reference[0]
        worst = max(worst, abs(diff))
        yield Progress(step=k, loss=gd.loss(theta[0]), lr=lr,
                       values={"theta": theta[0], "theta_torch": reference[0], "diff": diff, "grad": grad[0]})
        if k < steps:
            theta, reference = ours.step(theta, grad), theirs.step()
    yield Finished("completed", {"max_abs_diff": worst})


COMPARE = EngineSpec(
    name="opt.compare",
    title="From the formula vs torch.optim, step by step, on y = θx",
    params=(
        Param("optimizer", str, "adam", "momentum_ema and adam_article are the article's forms",
              choices=OPTIMIZERS),
        Param("lr", float, LR, "learning rate α", minimum=0.0, exclusive_minimum=True, maximum=10.0),
        _fraction("momentum", MOMENTUM, "momentum γ"),
        _fraction("beta1", BETA1, "Adam's β₁"),
        _fraction("beta2", BETA2, "Adam's β₂"),
        Param("steps", int, 10, "steps after θ₀", minimum=1, maximum=1000),
        Param("dtype", str, "float64", "torch's number type (float32 is torch's default)",
              choices=("float64", "float32")),
    ),
    run=compare,
    needs_torch=True,
    smoke={"steps": 5},
)


# --- the numbers the lesson quotes ---------------------------------------------------


# The article's ε placement against the correct one, in three situations:
EPS_STEPS = 10  # ordinary gradients: the shared problem
ZERO_W0 = 0.5  # a weight whose gradient is exactly 0 (e.g. one feeding a dead ReLU)
TINY_GRAD = 1e-10  # a gradient far below ε, e.g. rounding noise
EQUIV_STEPS = 20
PORT_LR, PORT_STEPS = 0.3, 50


def _first_step(name: str, grad: float, theta0: float = 0.0) -> float:
    """The change in θ after one Adam step on a constant gradient."""
    return make(name, LR).step([theta0], [grad])[0] - theta0


def values() -> dict[str, Any]:
    """Every number the lesson text quotes (placeholders use these names). No torch here."""
    k = TABLE_STEPS
    out: dict[str, Any] = {
        "x": list(gd.X), "y": list(gd.Y), "theta0": gd.THETA0,
        "theta_star": sum(a * b for a, b in zip(gd.X, gd.Y)) / sum(a * a for a in gd.X),
        "lr": LR, "momentum": MOMENTUM, "beta1": BETA1, "beta2": BETA2, "eps": EPS,
        "sum_x2": sum(v * v for v in gd.X), "grad0": gd.grad(gd.THETA0), "table_steps": k,
    }

    # One table per optimizer, k = 0..TABLE_STEPS: θₖ, the gradient at θₖ, and the
    # optimizer's state after k steps (0 before the first step).
    for name, key, state in (("sgd", "sgd", ()), ("momentum", "momentum", ("v",)),
                             ("momentum_ema", "ema", ("v",)), ("adam", "adam", ("m", "v", "m_hat", "v_hat"))):
        opt = make(name, LR)
        thetas = [gd.THETA0]
        table: dict[str, list[float]] = {n: [0.0] for n in state}
        for _ in range(k):
            thetas.append(opt.step([thetas[-1]], line_grad([thetas[-1]]))[0])
            for n in state:
                table[n].append(getattr(opt, n)[0])
        out.update({f"{key}_theta": thetas, f"{key}_grad": [gd.grad(t) for t in thetas],
                    f"{key}_theta1": thetas[1], f"{key}_theta2": thetas[2]})
        for n, column in table.items():
            out.update({f"{key}_{n}": column, f"{key}_{n}1": column[1], f"{key}_{n}2": column[2]})
    out["adam_step1"] = out["adam_theta1"] - gd.THETA0
    # m̂₁/(√v̂₁ + ε) = g/(|g| + ε): Adam's first step is ±α whatever the gradient's size.
    out["adam_ratio1"] = out["adam_m_hat1"] / (math.sqrt(out["adam_v_hat1"]) + EPS)

    # EMA at α and PyTorch's form at α(1−γ): one trajectory (v differs by the factor 1−γ).
    equiv_lr = LR * (1.0 - MOMENTUM)
    ema = line_thetas("momentum_ema", EQUIV_STEPS)
    pytorch_form = line_thetas("momentum", EQUIV_STEPS, lr=equiv_lr)
    out.update({
        "equiv_lr": equiv_lr, "equiv_steps": EQUIV_STEPS,
        "one_minus_momentum": 1.0 - MOMENTUM, "ema_scale": 1.0 / (1.0 - MOMENTUM),
        "equiv_ema_theta": ema[: k + 1], "equiv_pytorch_theta": pytorch_form[: k + 1],
        "equiv_max_diff": max(abs(a - b) for a, b in zip(ema, pytorch_form)),
        "equiv_ema_final": ema[-1], "equiv_pytorch_final": pytorch_form[-1],
    })
    # Stability of heavy-ball momentum on a quadratic of curvature Σx²: lr·Σx² < 2(1+γ).
    sum_x2 = out["sum_x2"]
    out["momentum_critical_lr"] = 2.0 * (1.0 + MOMENTUM) / sum_x2
    out["ema_critical_lr"] = out["momentum_critical_lr"] / (1.0 - MOMENTUM)
    # Copying the article's rate into torch.optim.SGD(momentum=γ) unchanged.
    out.update({
        "port_lr": PORT_LR, "port_steps": PORT_STEPS,
        "port_ema_error": abs(line_thetas("momentum_ema", PORT_STEPS, lr=PORT_LR)[-1] - out["theta_star"]),
        "port_pytorch_error": abs(line_thetas("momentum", PORT_STEPS, lr=PORT_LR)[-1] - out["theta_star"]),
    })

    out.update(_eps_values())
    out.update(_race_values())
    out.update(_slip_values())
    return out


def _slip_values() -> dict[str, float]:
    """What the usual slips give on the compute steps: the same steps, one mistake each."""
    theta0, g0 = gd.THETA0, gd.grad(gd.THETA0)
    theta1 = theta0 - LR * g0  # both momentum forms' first step from v₀ = 0 is SGD's
    g1 = gd.grad(theta1)
    v1 = g0
    v2 = MOMENTUM * v1 + g1
    ema_v1 = (1.0 - MOMENTUM) * g0
    m1, v1_adam = (1.0 - BETA1) * g0, (1.0 - BETA2) * g0 * g0
    m_hat1, v_hat1 = m1 / (1.0 - BETA1), v1_adam / (1.0 - BETA2)
    return {
        "momentum_theta2_slip_no_momentum": line_thetas("sgd", 2)[2],
        "momentum_theta2_slip_ema": line_thetas("momentum_ema", 2)[2],
        "momentum_theta2_slip_old_grad": theta1 - LR * (MOMENTUM * v1 + g0),
        "momentum_theta2_slip_step_size": LR * v2,
        "momentum_theta2_slip_update": -LR * v2,  # the change in θ (also θ₁ stepped the wrong way)
        "momentum_theta2_slip_gamma_swapped": theta1 - LR * (v1 + MOMENTUM * g1),
        "ema_theta1_slip_pytorch_form": line_thetas("momentum", 1)[1],
        "ema_theta1_slip_gamma_swapped": theta0 - LR * MOMENTUM * g0,
        "ema_theta1_slip_sign": theta0 + LR * ema_v1,
        "adam_theta1_slip_no_bias_correction": theta0 - LR * m1 / (math.sqrt(v1_adam) + EPS),
        "adam_theta1_slip_sign": theta0 + LR * m_hat1 / (math.sqrt(v_hat1) + EPS),
        "adam_theta1_slip_sgd": line_thetas("sgd", 1)[1],
        "adam_theta1_slip_no_sqrt": theta0 - LR * m_hat1 / (v_hat1 + EPS),
    }


def _eps_values() -> dict[str, Any]:
    right = line_thetas("adam", EPS_STEPS)
    wrong = line_thetas("adam_article", EPS_STEPS)
    zero_right = make("adam", LR).step([ZERO_W0], [0.0])[0]
    zero_wrong = make("adam_article", LR).step([ZERO_W0], [0.0])[0]  # 0/0
    tiny_right = _first_step("adam", TINY_GRAD)
    tiny_wrong = _first_step("adam_article", TINY_GRAD)
    return {
        "eps_steps": EPS_STEPS,
        "eps_right_theta": right[-1], "eps_wrong_theta": wrong[-1],
        "eps_normal_diff": wrong[-1] - right[-1],  # ≈ steps·ε: invisible
        "eps_zero_w0": ZERO_W0, "eps_zero_right_w1": zero_right, "eps_zero_wrong_w1": zero_wrong,
        "eps_zero_wrong_is_nan": math.isnan(zero_wrong),
        "eps_tiny_grad": TINY_GRAD,
        "eps_tiny_right_step": tiny_right, "eps_tiny_wrong_step": tiny_wrong,
        "eps_tiny_ratio": tiny_wrong / tiny_right,
    }


def _race_values() -> dict[str, Any]:
    out: dict[str, Any] = {
        "race_a": A, "race_b": B, "race_start_x": START[0], "race_start_y": START[1],
        "race_start_loss": rosenbrock(*START), "race_min_x": A, "race_min_y": A * A,
        "race_lr": RACE_LR, "race_adam_lr_factor": RACE_ADAM_LR_FACTOR,
        "race_adam_lr": race_lr("adam", RACE_LR, True), "race_momentum": MOMENTUM,
        "race_beta1": BETA1, "race_beta2": BETA2, "race_steps": RACE_STEPS,
        "race_target_loss": RACE_TARGET_LOSS,
    }
    gx, gy = rosenbrock_grad(list(START))
    out.update({"race_start_grad_x": gx, "race_start_grad_y": gy, "race_start_grad_norm": math.hypot(gx, gy)})
    # Hessian at the minimum [[2 + 8b, −4b], [−4b, 2b]] (a = 1): plain GD is stable below 2/λ_max.
    h11, h12, h22 = 2.0 + 8.0 * B * A * A, -4.0 * B * A, 2.0 * B
    lam_max = (h11 + h22) / 2.0 + math.hypot((h11 - h22) / 2.0, h12)
    out["race_sgd_critical_lr"] = 2.0 / lam_max

    reached: dict[str, int | None] = dict.fromkeys(RACERS)
    last: dict[str, tuple[float, float]] = {}
    for k, points in enumerate(race_positions(RACERS, RACE_LR, MOMENTUM, BETA1, BETA2, RACE_STEPS)):
        for name, (x, y) in points.items():
            if reached[name] is None and rosenbrock(x, y) < RACE_TARGET_LOSS:
                reached[name] = k
        last = points
    for name, (x, y) in last.items():
        out.update({f"race_{name}_x": x, f"race_{name}_y": y, f"race_{name}_loss": rosenbrock(x, y),
                    f"race_{name}_reached": reached[name] is not None,
                    f"race_{name}_steps_to_target": reached[name]})
    return out


# --- cross-checks ---------------------------------------------------------------------

CHECK_STEPS = 10
RACE_CHECK_STEPS = 30


def checks() -> list[tuple[str, float, float]]:
    """(label, from the formula, torch.optim) for every step compared; float64 throughout."""
    out: list[tuple[str, float, float]] = []
    for name in ("sgd", "momentum", "momentum_ema", "adam"):
        ours = line_thetas(name, CHECK_STEPS)
        theirs = TorchRun(name, line_loss, [gd.THETA0], LR)
        reference = [theirs.theta[0]] + [theirs.step()[0] for _ in range(CHECK_STEPS)]
        out += [(f"y = θx, {name}: θ{k}", a, b) for k, (a, b) in enumerate(zip(ours, reference)) if k]

    # The equivalence again, formula against formula, over a longer run.
    ema = line_thetas("momentum_ema", EQUIV_STEPS)
    scaled = line_thetas("momentum", EQUIV_STEPS, lr=LR * (1.0 - MOMENTUM))
    out += [(f"EMA momentum at α vs PyTorch momentum at α(1−γ): θ{k}", a, b)
            for k, (a, b) in enumerate(zip(ema, scaled)) if k]

    # The race at its defaults: each racer's first steps, and where it ends (values quote it).
    ours_race = list(race_positions(RACERS, RACE_LR, MOMENTUM, BETA1, BETA2, RACE_STEPS))
    for name in RACERS:
        theirs = TorchRun(name, rosenbrock_loss, START, race_lr(name, RACE_LR, True))
        for k in range(1, RACE_STEPS + 1):
            tx, ty = theirs.step()
            if k <= RACE_CHECK_STEPS or k == RACE_STEPS:
                x, y = ours_race[k][name]
                out += [(f"Rosenbrock race, {name}: x{k}", x, tx), (f"Rosenbrock race, {name}: y{k}", y, ty)]

    # The ε demonstrations: the correct form is what torch.optim.Adam does.
    still = TorchRun("adam", lambda p: 0.0 * p.sum(), [ZERO_W0], LR).step()[0]
    out.append(("Adam on a zero gradient: w₁", make("adam", LR).step([ZERO_W0], [0.0])[0], still))
    tiny = TorchRun("adam", lambda p: TINY_GRAD * p.sum(), [0.0], LR).step()[0]
    out.append((f"Adam on a gradient of {TINY_GRAD:g}: θ₁", _first_step("adam", TINY_GRAD), tiny))
    return out
