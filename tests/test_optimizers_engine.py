"""The optimizers engine: formulas against torch.optim and against hand computation.

Expected numbers come from torch.optim (built here, independently of the engine's own
torch helpers), from arithmetic done by hand in the comments, or from NumPy.
"""

import math
import subprocess
import sys

import numpy as np
import pytest
import torch

from engines.byhand import optimizer_variants as variants
from engines.byhand import optimizers as opt
from engines.byhand import update_rules as rules
from engines.core import registry
from engines.core.events import Failed, Finished, Progress, Started
from engines.core.runtime import Control, run_engine
from lessons.check import CROSS_CHECK_ATOL, CROSS_CHECK_RTOL

from conftest import ROOT

X, Y = [1.0, 2.0, 3.0], [2.0, 4.0, 6.0]
START = (-1.5, 2.0)


def line_loss(p):
    x, y = torch.tensor(X, dtype=p.dtype), torch.tensor(Y, dtype=p.dtype)
    return 0.5 * ((y - p[0] * x) ** 2).sum()


def rosenbrock_loss(p):
    return (1 - p[0]) ** 2 + 100 * (p[1] - p[0] ** 2) ** 2


def torch_path(make_optimizer, loss_fn, start, steps):
    """Points 0..steps of torch.optim minimising loss_fn (autograd gradients, float64)."""
    p = torch.tensor(list(start), dtype=torch.float64, requires_grad=True)
    optimizer = make_optimizer([p])
    path = [p.detach().tolist()]
    for _ in range(steps):
        optimizer.zero_grad()
        loss_fn(p).backward()
        optimizer.step()
        path.append(p.detach().tolist())
    return path


def line_grad(theta):
    """∂/∂θ of ½ Σ (yᵢ − θxᵢ)² on x = 1, 2, 3, y = 2x: Σ xᵢ²·θ − Σ xᵢyᵢ = 14θ − 28."""
    return [14.0 * theta[0] - 28.0]


def line_path(name, steps, lr, **hyper):
    return rules.trajectory(rules.make(name, lr, **hyper), line_grad, [0.0], steps)


def assert_paths_close(ours, theirs, rel=1e-6):
    assert len(ours) == len(theirs)
    for k, (a, b) in enumerate(zip(ours, theirs)):
        assert a == pytest.approx(b, rel=rel, abs=1e-9), f"step {k}: {a} vs {b}"


TORCH_TWINS = {
    "sgd": lambda lr, **h: (lambda ps: torch.optim.SGD(ps, lr=lr)),
    "momentum": lambda lr, momentum, **h: (lambda ps: torch.optim.SGD(ps, lr=lr, momentum=momentum)),
    "adam": lambda lr, beta1, beta2, **h: (lambda ps: torch.optim.Adam(ps, lr=lr, betas=(beta1, beta2), eps=1e-8)),
}


@pytest.mark.parametrize("name", ["sgd", "momentum", "adam"])
@pytest.mark.parametrize("hyper", [dict(lr=0.1, momentum=0.9, beta1=0.9, beta2=0.999),
                                   dict(lr=0.03, momentum=0.5, beta1=0.7, beta2=0.95)])
def test_each_formula_follows_torch_optim_step_by_step(name, hyper):
    ours = line_path(name, 12, **hyper)
    theirs = torch_path(TORCH_TWINS[name](**hyper), line_loss, [0.0], 12)
    assert_paths_close(ours, theirs)


@pytest.mark.parametrize("name", ["sgd", "momentum", "adam"])
def test_formulas_follow_torch_on_the_two_dimensional_surface(name):
    hyper = dict(lr=2e-3 if name != "adam" else 0.05, momentum=0.8, beta1=0.85, beta2=0.99)
    ours = rules.trajectory(rules.make(name, **hyper), opt.rosenbrock_grad, START, 40)
    theirs = torch_path(TORCH_TWINS[name](**hyper), rosenbrock_loss, START, 40)
    assert_paths_close(ours, theirs)


def test_first_steps_match_hand_arithmetic():
    # ∂L/∂θ = 14θ − 28. SGD: θ₁ = 0 + 0.1·28 = 2.8, θ₂ = 2.8 − 0.1·11.2 = 1.68.
    line = variants.inputs(0)
    assert line.thetas("sgd", 2, 0.1) == pytest.approx([0.0, 2.8, 1.68])
    # PyTorch momentum: v₁ = −28, θ₁ = 2.8; v₂ = 0.9·(−28) + 11.2 = −14, θ₂ = 4.2.
    assert line.thetas("momentum", 2, 0.1) == pytest.approx([0.0, 2.8, 4.2])
    # EMA momentum: v₁ = 0.1·(−28) = −2.8, θ₁ = 0.28; g₁ = −24.08,
    # v₂ = 0.9·(−2.8) + 0.1·(−24.08) = −4.928, θ₂ = 0.7728.
    assert line.thetas("momentum_ema", 2, 0.1) == pytest.approx([0.0, 0.28, 0.7728])
    # Adam's first step: m̂₁ = g, v̂₁ = g², so θ₁ = α·28/(28 + ε).
    assert line.thetas("adam", 1, 0.1)[1] == pytest.approx(0.1 * 28 / (28 + 1e-8), rel=1e-15)


def test_values_quote_the_same_first_steps_as_torch():
    values = opt.values()
    steps = values["table_steps"]
    for key, twin in (("sgd", TORCH_TWINS["sgd"](lr=0.1)),
                      ("momentum", TORCH_TWINS["momentum"](lr=0.1, momentum=0.9)),
                      ("adam", TORCH_TWINS["adam"](lr=0.1, beta1=0.9, beta2=0.999))):
        theirs = [p[0] for p in torch_path(twin, line_loss, [0.0], steps)]
        assert values[f"{key}_theta"] == pytest.approx(theirs, rel=1e-9)
        assert values[f"{key}_theta2"] == pytest.approx(theirs[2], rel=1e-9)
    # Adam's first-step internals by hand: g₀ = −28, m₁ = 0.1·g₀, v₁ = 0.001·g₀².
    assert values["adam_m1"] == pytest.approx(-2.8)
    assert values["adam_v1"] == pytest.approx(0.784)
    assert values["adam_m_hat1"] == pytest.approx(-28.0)
    assert values["adam_v_hat1"] == pytest.approx(784.0)
    assert values["grad0"] == -28.0


def test_ema_momentum_at_lr_is_pytorch_momentum_at_lr_times_one_minus_gamma():
    lr, gamma, steps = 0.1, 0.9, 30
    ema = rules.make("momentum_ema", lr, momentum=gamma)
    ours = rules.trajectory(ema, line_grad, [0.0], steps)
    theirs = torch_path(lambda ps: torch.optim.SGD(ps, lr=lr * (1 - gamma), momentum=gamma),
                        line_loss, [0.0], steps)
    assert_paths_close(ours, theirs, rel=1e-12)
    # The buffers differ by exactly that factor: EMA's v is (1−γ) times PyTorch's.
    pytorch = rules.make("momentum", lr * (1 - gamma), momentum=gamma)
    rules.trajectory(pytorch, line_grad, [0.0], steps)
    assert ema.v[0] == pytest.approx((1 - gamma) * pytorch.v[0], rel=1e-9)
    # …and the same rate in both forms is not the same optimizer.
    assert line_path("momentum", 3, lr, momentum=gamma)[2] != pytest.approx(ours[2])

    values = opt.values()
    assert values["equiv_lr"] == pytest.approx(0.01)
    assert values["equiv_max_diff"] < 1e-12
    assert values["equiv_ema_theta"] == pytest.approx([p[0] for p in theirs[:len(values["equiv_ema_theta"])]])


def test_the_equivalence_also_holds_in_two_dimensions():
    lr, gamma = 0.01, 0.9
    ours = rules.trajectory(rules.make("momentum_ema", lr, momentum=gamma), opt.rosenbrock_grad, START, 50)
    theirs = torch_path(lambda ps: torch.optim.SGD(ps, lr=lr * (1 - gamma), momentum=gamma),
                        rosenbrock_loss, START, 50)
    assert_paths_close(ours, theirs)


def test_momentum_stability_limits_hold_in_torch():
    values = opt.values()
    theta_star = 2.0

    def error_after(lr, steps):
        path = torch_path(lambda ps: torch.optim.SGD(ps, lr=lr, momentum=0.9), line_loss, [0.0], steps)
        return abs(path[-1][0] - theta_star)

    limit = values["momentum_critical_lr"]
    assert error_after(0.95 * limit, 300) < 1e-3
    assert error_after(1.05 * limit, 60) > 1e3  # few steps: it must grow, not overflow
    # The article's rate, copied unchanged into PyTorch's form, is past that limit.
    assert values["port_lr"] > limit
    assert values["port_pytorch_error"] > 1e6 and values["port_ema_error"] < 1.0


def test_article_adam_is_invisible_on_ordinary_gradients():
    values = opt.values()
    n = values["eps_steps"]
    right = line_path("adam", n, 0.1)[-1][0]
    wrong = line_path("adam_article", n, 0.1)[-1][0]
    # Each step the wrong form adds ε to θ (and drops ε from a denominator near 28):
    # after n steps it sits about n·ε higher, a difference far below anything plotted.
    assert 0.5 * n * 1e-8 < wrong - right < 1.5 * n * 1e-8
    assert values["eps_normal_diff"] == pytest.approx(wrong - right)


def test_article_adam_turns_a_zero_gradient_into_nan():
    # A weight the loss does not depend on: torch.optim.Adam leaves it where it is.
    theirs = torch_path(lambda ps: torch.optim.Adam(ps, lr=0.1), lambda p: 0.0 * p.sum(), [0.5], 3)
    ours = rules.trajectory(rules.make("adam", 0.1), lambda p: [0.0], [0.5], 3)
    assert ours == theirs == [[0.5]] * 4
    # With ε outside the fraction it is 0/0.
    wrong = rules.trajectory(rules.make("adam_article", 0.1), lambda p: [0.0], [0.5], 1)
    assert math.isnan(wrong[1][0])
    values = opt.values()
    assert values["eps_zero_right_w1"] == 0.5 and math.isnan(values["eps_zero_wrong_w1"])
    assert values["eps_zero_wrong_is_nan"] is True


def test_article_adam_takes_full_steps_on_noise_sized_gradients():
    g, lr, eps = 1e-10, 0.1, 1e-8
    theirs = torch_path(lambda ps: torch.optim.Adam(ps, lr=lr, eps=eps), lambda p: g * p.sum(), [0.0], 1)
    right = rules.make("adam", lr).step([0.0], [g])[0]
    wrong = rules.make("adam_article", lr).step([0.0], [g])[0]
    assert right == pytest.approx(theirs[1][0], rel=1e-12)
    assert right == pytest.approx(-lr * g / (g + eps), rel=1e-12)  # ε damps it ~100-fold
    assert wrong == pytest.approx(-lr + eps, rel=1e-12)  # a full step of α
    values = opt.values()
    assert values["eps_tiny_ratio"] == pytest.approx((g + eps) / g * (lr - eps) / lr, rel=1e-9)


def test_the_cross_checks_agree_and_cover_every_optimizer():
    pairs = registry.checks("opt.checks")()
    assert pairs
    for label, value, reference in pairs:
        assert math.isclose(value, reference, rel_tol=CROSS_CHECK_RTOL, abs_tol=CROSS_CHECK_ATOL), label
    labels = " ".join(label for label, _, _ in pairs)
    for name in ("sgd", "momentum", "momentum_ema", "adam", "EMA momentum", "Rosenbrock race, adam"):
        assert name in labels


def test_compare_engine_shows_formula_and_torch_side_by_side():
    spec = registry.engine("opt.compare")
    for name in ("sgd", "momentum", "momentum_ema", "adam"):
        events = list(run_engine(spec, {"optimizer": name, "steps": 8}))
        rows = [e for e in events if isinstance(e, Progress)]
        assert [e.step for e in rows] == list(range(9))
        assert all(abs(e.values["theta"] - e.values["theta_torch"]) < 1e-12 for e in rows)
        assert events[-1].reason == "completed" and events[-1].summary["max_abs_diff"] < 1e-12
    # The article's Adam drifts away from torch's by about ε per step.
    article = list(run_engine(spec, {"optimizer": "adam_article", "steps": 8}))
    assert 1e-9 < article[-1].summary["max_abs_diff"] < 1e-6
    # In torch's default float32 the agreement is float32's, about 1e-7 relative.
    single = list(run_engine(spec, {"optimizer": "adam", "steps": 8, "dtype": "float32"}))
    assert 0 < single[-1].summary["max_abs_diff"] < 1e-5


def race(params, ctl=None):
    return list(run_engine(registry.engine("opt.race"), params, ctl))


def test_race_emits_every_racers_position_and_loss_each_step():
    events = race({"steps": 25})
    assert isinstance(events[0], Started) and events[0].total_steps == 25
    rows = [e for e in events if isinstance(e, Progress)]
    assert [e.step for e in rows] == list(range(26))
    keys = {f"{n}_{v}" for n in ("sgd", "momentum", "adam") for v in ("x", "y", "loss")}
    assert all(set(e.values) == keys for e in rows)
    first = rows[0].values
    assert (first["sgd_x"], first["sgd_y"]) == START and first["adam_loss"] == 12.5  # 2.5² + 100·0.25²
    for e in rows:
        assert e.loss == min(e.values[f"{n}_loss"] for n in ("sgd", "momentum", "adam"))
    assert events[-1].reason == "completed"


def test_race_follows_its_parameters():
    params = {"steps": 15, "lr": 5e-4, "momentum": 0.6, "beta1": 0.8, "beta2": 0.95}
    rows = [e for e in race(params) if isinstance(e, Progress)]
    lr = params["lr"]
    twins = {"sgd": TORCH_TWINS["sgd"](lr=lr),
             "momentum": TORCH_TWINS["momentum"](lr=lr, momentum=0.6),
             # In a race Adam runs at 100·lr (documented on the lr parameter).
             "adam": TORCH_TWINS["adam"](lr=100 * lr, beta1=0.8, beta2=0.95)}
    for name, twin in twins.items():
        theirs = torch_path(twin, rosenbrock_loss, START, 15)
        ours = [[e.values[f"{name}_x"], e.values[f"{name}_y"]] for e in rows]
        assert_paths_close(ours, theirs)
    # SGD's first step by hand: ∇f(−1.5, 2) = (−155, −50).
    assert rows[1].values["sgd_x"] == pytest.approx(-1.5 + 155 * lr)
    assert rows[1].values["sgd_y"] == pytest.approx(2 + 50 * lr)


def test_a_single_optimizer_runs_alone_at_the_given_rate():
    rows = [e for e in race({"optimizer": "adam", "lr": 0.05, "steps": 3}) if isinstance(e, Progress)]
    assert set(rows[0].values) == {"adam_x", "adam_y", "adam_loss"}
    # Adam's first step is ±lr on each coordinate (m̂/√v̂ = sign g), against the gradient.
    assert rows[1].values["adam_x"] == pytest.approx(-1.5 + 0.05)
    assert rows[1].values["adam_y"] == pytest.approx(2 + 0.05)
    assert rows[1].loss == rows[1].values["adam_loss"]


@pytest.mark.parametrize("params, name", [
    ({"beta1": 1}, "beta1"), ({"beta2": -0.1}, "beta2"), ({"momentum": 1.0}, "momentum"),
    ({"lr": 0}, "lr"), ({"lr": -0.01}, "lr"), ({"lr": "fast"}, "lr"), ({"lr": "nan"}, "lr"),
    ({"steps": 0}, "steps"), ({"steps": 10**9}, "steps"), ({"optimizer": "rmsprop"}, "optimizer"),
    ({"gamma": 0.9}, "gamma"),
])
def test_race_refuses_bad_parameters_with_a_sentence(params, name):
    events = race(params)
    assert len(events) == 1 and isinstance(events[0], Failed)
    assert name in events[0].message and events[0].message.endswith(".")


def test_a_huge_learning_rate_is_reported_as_divergence():
    events = race({"optimizer": "sgd", "lr": 1.0, "steps": 1000})
    assert isinstance(events[-1], Finished) and events[-1].reason == "diverged"
    assert "lr=1" in events[-1].summary["message"]
    assert len([e for e in events if isinstance(e, Progress)]) < 20
    # In a race the first racer to blow up ends it, and the message names it.
    events = race({"lr": 0.01})
    assert events[-1].reason == "diverged" and "sgd_" in events[-1].summary["message"]


def test_a_race_stops_when_asked():
    ctl = Control()
    seen = []
    for event in run_engine(registry.engine("opt.race"), {"steps": 1000}, ctl):
        seen.append(event)
        if isinstance(event, Progress) and event.step == 4:
            ctl.stop()
    assert seen[-1].reason == "stopped"
    assert max(e.step for e in seen if isinstance(e, Progress)) == 4


def test_race_values_describe_the_default_race():
    values = opt.values()
    assert values["race_start_loss"] == 12.5
    assert (values["race_start_grad_x"], values["race_start_grad_y"]) == (-155.0, -50.0)
    hessian_at_min = np.array([[802.0, -400.0], [-400.0, 200.0]])  # a = 1, b = 100
    assert values["race_sgd_critical_lr"] == pytest.approx(2 / np.linalg.eigvalsh(hessian_at_min).max())
    # Where torch.optim ends after the default race, with the race's rates.
    twins = {"sgd": TORCH_TWINS["sgd"](lr=1e-3),
             "momentum": TORCH_TWINS["momentum"](lr=1e-3, momentum=0.9),
             "adam": TORCH_TWINS["adam"](lr=0.1, beta1=0.9, beta2=0.999)}
    for name, twin in twins.items():
        end = torch_path(twin, rosenbrock_loss, START, values["race_steps"])[-1]
        assert [values[f"race_{name}_x"], values[f"race_{name}_y"]] == pytest.approx(end, rel=1e-6)
    # The picture the lesson describes: SGD still crawling along the valley, the others home.
    assert not values["race_sgd_reached"] and values["race_sgd_steps_to_target"] is None
    assert values["race_momentum_reached"] and values["race_adam_reached"]
    assert values["race_sgd_loss"] > 100 * max(values["race_momentum_loss"], values["race_adam_loss"])


def test_values_are_computed_without_torch():
    code = ("import sys\nfrom engines.core import registry\nvalues = registry.values('opt.values')()\n"
            "assert values['race_steps'] > 0\nprint('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "False"
