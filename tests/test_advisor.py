"""The advisor's rules, fed with the events a run would produce."""

from engines.core.events import Artifact, Evaluated, Finished, Progress, Started
from tui_lab.advisor import advise
from tui_lab.run_session import RunSession


def session(params=None, losses=(), state_events=()):
    s = RunSession("mnist", 3, "mnist", params or {"lr": 0.01, "optimizer": "adam"})
    s.apply(Started("cpu", {}, 1000))
    for step, loss in enumerate(losses):
        s.apply(Progress(step=step, loss=loss))
    for event in state_events:
        s.apply(event)
    return s


def test_a_healthy_run_gets_no_advice():
    healthy = session(losses=[2.3 / (1 + 0.1 * i) for i in range(100)],
                      state_events=[Evaluated(1, {"test_accuracy": 0.97, "test_loss": 0.1, "train_accuracy": 0.975})])
    assert advise(healthy) is None


def test_a_diverged_run_is_told_to_take_a_tenth_of_the_learning_rate():
    advice = advise(session(state_events=[Finished("diverged", {})]))
    assert advice.params == {"lr": 0.001} and "too large" in advice.text


def test_a_climbing_loss_gets_a_live_learning_rate_cut():
    advice = advise(session(losses=[1.0 - 0.04 * i for i in range(20)] + [3.0] * 10))
    assert advice.command == {"cmd": "set_lr", "lr": 0.0033}


def test_dead_relus_are_noticed_and_sgd_is_swapped_for_adam():
    health = Artifact("health", {"layers": [{"name": "fc1", "dead_relu_share": 0.8}, {"name": "out", "dead_relu_share": None}]})
    advice = advise(session(params={"lr": 0.3, "optimizer": "sgd"}, state_events=[health]))
    assert advice.params == {"lr": 0.1, "optimizer": "adam"} and "80% of the ReLUs in fc1" in advice.text


def test_overfitting_suggests_stopping_where_the_test_loss_was_lowest():
    evals = [Evaluated(e, {"test_accuracy": 0.98, "test_loss": loss, "train_accuracy": acc})
             for e, loss, acc in [(1, 0.08, 0.97), (2, 0.07, 0.985), (3, 0.075, 0.992), (4, 0.09, 0.998)]]
    advice = advise(session(state_events=evals))
    assert advice.params == {"epochs": 2} and "Overfitting" in advice.text


def test_a_stalled_run_is_told_to_raise_the_learning_rate():
    flat = session(params={"lr": 1e-5}, losses=[2.30 - 0.0001 * i for i in range(60)],
                   state_events=[Evaluated(1, {"test_accuracy": 0.12, "test_loss": 2.29, "train_accuracy": 0.12})])
    advice = advise(flat)
    assert advice.params == {"lr": 3e-5} and "stalled" in advice.text
