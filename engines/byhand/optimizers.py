"""The optimizers lesson: the numbers it quotes, its two runs and its cross-checks.

The update rules themselves are in ``update_rules`` (plain floats, no torch); their
torch.optim counterparts in ``torch_twins``. Two problems: a line y = θx (one parameter;
its numbers depend on the learner's variant, see ``optimizer_variants``) and
Rosenbrock's valley, where SGD, momentum and Adam race (the same for every variant: it
is watched, not computed by hand). ``checks`` and the ``opt.compare`` run replay the
same steps with ``torch.optim``.
"""

from __future__ import annotations

import math
from typing import Any, Iterator, Sequence

from engines.byhand.optimizer_variants import (PORT_STEPS, TABLE_STEPS, OptimizerInputs, inputs, port_error,
                                                slip_values)
from engines.byhand.torch_twins import TorchRun, line_loss
from engines.byhand.update_rules import BETA1, BETA2, EPS, MOMENTUM, OPTIMIZERS, Vector, make
from engines.byhand.variant_draw import VARIANT
from engines.core.events import Event, Finished, Progress, Started
from engines.core.params import Param, ParamError
from engines.core.runtime import Control, EngineSpec
from lab_i18n import N_, _

LR = inputs(0).lr  # opt.compare's default rate: variant 0's α


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
        return _("a number at least 0 and less than 1")

    def check(self, value: Any) -> Any:
        value = super().check(value)
        if value >= 1.0:
            raise ParamError(_("{name} must be {allowed}, not {given}.").format(name=self.name, allowed=self.describe(),
                                                                               given=f"{value:g}"))
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
    summary = {**values, "leader": leader}
    if len(names) > 1:  # a race ends with every racer's loss, not only the leader's
        summary["message"] = _("After {steps} steps the losses are {losses}; {leader} leads.").format(
            steps=k, leader=leader, losses=_(", ").join(f"{n} {values[f'{n}_loss']:.3g}" for n in names))
    yield Finished("completed", summary)


RACE = EngineSpec(
    name="opt.race",
    title="SGD, momentum and Adam racing on the Rosenbrock valley",
    params=(
        Param("optimizer", str, "race", N_("race runs sgd, momentum and adam together"),
              choices=("race", *RACERS)),
        Param("lr", float, RACE_LR, N_("learning rate α (in a race, Adam uses 100·α)"),  # RACE_ADAM_LR_FACTOR
              minimum=0.0, exclusive_minimum=True, maximum=10.0),
        _fraction("beta1", BETA1, N_("Adam's β₁, decay of the gradient average")),
        _fraction("beta2", BETA2, N_("Adam's β₂, decay of the squared-gradient average")),
        _fraction("momentum", MOMENTUM, N_("momentum γ (PyTorch's form)")),
        Param("steps", int, RACE_STEPS, N_("steps after the start"), minimum=1, maximum=100_000),
    ),
    run=race,
    smoke={"steps": 20},
)


# --- from the formulas vs torch.optim ------------------------------------------------


def compare(config: dict[str, Any], ctl: Control) -> Iterator[Event]:
    """The variant's line stepped by the formula and by torch.optim side by side."""
    name, lr, steps = config["optimizer"], config["lr"], config["steps"]
    hyper = {k: config[k] for k in ("momentum", "beta1", "beta2")}
    problem = inputs(config["variant"])
    yield Started(device="cpu", config=dict(config), total_steps=steps)
    ours = make(name, lr, **hyper)
    theirs = TorchRun(name, line_loss(problem.x, problem.y), [problem.theta0], lr, dtype=config["dtype"], **hyper)
    theta, reference = [problem.theta0], theirs.theta
    worst = 0.0
    for k in range(steps + 1):
        if ctl.stop_requested:
            return
        ctl.poll()
        grad = problem.line_grad(theta)
        diff = theta[0] - reference[0]
        worst = max(worst, abs(diff))
        yield Progress(step=k, loss=problem.loss(theta[0]), lr=lr,
                       values={"theta": theta[0], "theta_torch": reference[0], "diff": diff, "grad": grad[0]})
        if k < steps:
            theta, reference = ours.step(theta, grad), theirs.step()
    yield Finished("completed", {"max_abs_diff": worst})


def _lesson_rates(variant: int) -> dict[str, float]:
    """The α and γ of the variant's hand steps: where the comparison starts unless told otherwise."""
    problem = inputs(variant)
    return {"lr": problem.lr, "momentum": problem.momentum}


COMPARE = EngineSpec(
    name="opt.compare",
    title="From the formula vs torch.optim, step by step, on y = θx",
    params=(
        Param("optimizer", str, "adam", N_("momentum_ema and adam_article are the article's forms"),
              choices=OPTIMIZERS),
        Param("lr", float, LR, N_("learning rate α"), minimum=0.0, exclusive_minimum=True, maximum=10.0),
        _fraction("momentum", MOMENTUM, "momentum γ"),
        _fraction("beta1", BETA1, "Adam's β₁"),
        _fraction("beta2", BETA2, "Adam's β₂"),
        Param("steps", int, 10, N_("steps after θ₀"), minimum=1, maximum=1000),
        Param("dtype", str, "float64", N_("torch's number type (float32 is torch's default)"),
              choices=("float64", "float32")),
        VARIANT,
    ),
    run=compare,
    needs_torch=True,
    smoke={"steps": 5},
    variant_defaults=_lesson_rates,
)


# --- the numbers the lesson quotes ---------------------------------------------------


# The article's ε placement against the correct one, in three situations:
EPS_STEPS = 10  # ordinary gradients: the variant's line
ZERO_W0 = 0.5  # a weight whose gradient is exactly 0 (e.g. one feeding a dead ReLU)
TINY_GRAD = 1e-10  # a gradient far below ε, e.g. rounding noise
EQUIV_STEPS = 20


def _first_step(name: str, grad: float, lr: float) -> float:
    """The change in θ (from 0) after one Adam step on a constant gradient."""
    return make(name, lr).step([0.0], [grad])[0]


def values(variant: int = 0) -> dict[str, Any]:
    """Every number the lesson text quotes (placeholders use these names). No torch here."""
    problem = inputs(variant)
    lr, gamma, k = problem.lr, problem.momentum, TABLE_STEPS
    out: dict[str, Any] = {
        "x": list(problem.x), "y": list(problem.y), "theta0": problem.theta0, "theta_star": problem.theta_star,
        "lr": lr, "momentum": gamma, "beta1": BETA1, "beta2": BETA2, "eps": EPS,
        "sum_x2": problem.sum_x2, "grad0": problem.grad(problem.theta0), "table_steps": k,
    }

    # One table per optimizer, k = 0..TABLE_STEPS: θₖ, the gradient at θₖ, and the
    # optimizer's state after k steps (0 before the first step).
    for name, key, state in (("sgd", "sgd", ()), ("momentum", "momentum", ("v",)),
                             ("momentum_ema", "ema", ("v",)), ("adam", "adam", ("m", "v", "m_hat", "v_hat"))):
        opt = make(name, lr, gamma)
        thetas = [problem.theta0]
        table: dict[str, list[float]] = {n: [0.0] for n in state}
        for _step in range(k):
            thetas.append(opt.step([thetas[-1]], problem.line_grad([thetas[-1]]))[0])
            for n in state:
                table[n].append(getattr(opt, n)[0])
        out.update({f"{key}_theta": thetas, f"{key}_grad": [problem.grad(t) for t in thetas],
                    f"{key}_theta1": thetas[1], f"{key}_theta2": thetas[2], f"{key}_step1": thetas[1] - thetas[0]})
        for n, column in table.items():
            out.update({f"{key}_{n}": column, f"{key}_{n}1": column[1], f"{key}_{n}2": column[2]})
    # m̂₁/(√v̂₁ + ε) = g/(|g| + ε): Adam's first step is ±α whatever the gradient's size.
    out["adam_ratio1"] = out["adam_m_hat1"] / (math.sqrt(out["adam_v_hat1"]) + EPS)

    # EMA at α and PyTorch's form at α(1−γ): one trajectory (v differs by the factor 1−γ).
    equiv_lr = lr * (1.0 - gamma)
    ema = problem.thetas("momentum_ema", EQUIV_STEPS)
    pytorch_form = problem.thetas("momentum", EQUIV_STEPS, lr=equiv_lr)
    out.update({
        "equiv_lr": equiv_lr, "equiv_steps": EQUIV_STEPS,
        "one_minus_momentum": 1.0 - gamma, "ema_scale": 1.0 / (1.0 - gamma),
        "equiv_ema_theta": ema[: k + 1], "equiv_pytorch_theta": pytorch_form[: k + 1],
        "equiv_max_diff": max(abs(a - b) for a, b in zip(ema, pytorch_form)),
        "equiv_ema_final": ema[-1], "equiv_pytorch_final": pytorch_form[-1],
    })
    # Stability of heavy-ball momentum on a quadratic of curvature Σx²: lr·Σx² < 2(1+γ).
    out["momentum_critical_lr"] = problem.momentum_critical_lr
    out["ema_critical_lr"] = problem.momentum_critical_lr / (1.0 - gamma)
    # Copying the article's rate into torch.optim.SGD(momentum=γ) unchanged.
    out.update({"port_lr": problem.port_lr, "port_steps": PORT_STEPS,
                "port_ema_error": port_error(problem, "momentum_ema"),
                "port_pytorch_error": port_error(problem, "momentum")})

    out.update(_eps_values(problem))
    out.update(_race_values())
    out.update(slip_values(problem))
    return out


def _eps_values(problem: OptimizerInputs) -> dict[str, Any]:
    lr = problem.lr
    right = problem.thetas("adam", EPS_STEPS)
    wrong = problem.thetas("adam_article", EPS_STEPS)
    zero_right = make("adam", lr).step([ZERO_W0], [0.0])[0]
    zero_wrong = make("adam_article", lr).step([ZERO_W0], [0.0])[0]  # 0/0
    tiny_right = _first_step("adam", TINY_GRAD, lr)
    tiny_wrong = _first_step("adam_article", TINY_GRAD, lr)
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


def checks(variant: int = 0) -> list[tuple[str, float, float]]:
    """(label, from the formula, torch.optim) for every step compared; float64 throughout."""
    problem = inputs(variant)
    lr, gamma = problem.lr, problem.momentum
    out: list[tuple[str, float, float]] = []
    for name in ("sgd", "momentum", "momentum_ema", "adam"):
        ours = problem.thetas(name, CHECK_STEPS)
        theirs = TorchRun(name, line_loss(problem.x, problem.y), [problem.theta0], lr, momentum=gamma)
        reference = [theirs.theta[0]] + [theirs.step()[0] for _step in range(CHECK_STEPS)]
        out += [(f"y = θx, {name}: θ{k}", a, b) for k, (a, b) in enumerate(zip(ours, reference)) if k]

    # The equivalence again, formula against formula, over a longer run.
    ema = problem.thetas("momentum_ema", EQUIV_STEPS)
    scaled = problem.thetas("momentum", EQUIV_STEPS, lr=lr * (1.0 - gamma))
    out += [(f"EMA momentum at α vs PyTorch momentum at α(1−γ): θ{k}", a, b)
            for k, (a, b) in enumerate(zip(ema, scaled)) if k]

    # The ε demonstrations: the correct form is what torch.optim.Adam does.
    still = TorchRun("adam", lambda p: 0.0 * p.sum(), [ZERO_W0], lr).step()[0]
    out.append(("Adam on a zero gradient: w₁", make("adam", lr).step([ZERO_W0], [0.0])[0], still))
    tiny = TorchRun("adam", lambda p: TINY_GRAD * p.sum(), [0.0], lr).step()[0]
    out.append((f"Adam on a gradient of {TINY_GRAD:g}: θ₁", _first_step("adam", TINY_GRAD, lr), tiny))
    # The race is the same for every variant: checking it once, with variant 0, covers all.
    return out + _race_checks() if variant == 0 else out


def _race_checks() -> list[tuple[str, float, float]]:
    """The race at its defaults: each racer's first steps, and where it ends (values quote it)."""
    out: list[tuple[str, float, float]] = []
    ours = list(race_positions(RACERS, RACE_LR, MOMENTUM, BETA1, BETA2, RACE_STEPS))
    for name in RACERS:
        theirs = TorchRun(name, rosenbrock_loss, START, race_lr(name, RACE_LR, True))
        for k in range(1, RACE_STEPS + 1):
            tx, ty = theirs.step()
            if k <= RACE_CHECK_STEPS or k == RACE_STEPS:
                x, y = ours[k][name]
                out += [(f"Rosenbrock race, {name}: x{k}", x, tx), (f"Rosenbrock race, {name}: y{k}", y, ty)]
    return out
