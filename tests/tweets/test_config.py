import pytest
import yaml

from polyreply.core.prompts import Prompt
from polyreply.core.config import GrpoConfig
from polyreply.params import ParamsError, build
from polyreply.tweets.config import EvalConfig, TweetGrpoConfig, TweetPromptConfig, load_params


def write_params(tmp_path, mutate):
    p = yaml.safe_load(open("params.yaml"))
    mutate(p)
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(p))
    return path


def test_repository_params_load():
    params = load_params("params.yaml")
    assert params.polychromic.lambda_ == 1.0
    assert params.eval.k == (1, 2, 4, 6) and params.eval.primary_judge == "oracle"
    assert len(params.seeds) >= 3 and params.eval.max_prompts >= 100   # issue 15: replicates and prompts
    assert set(params.exploratory_seeds) <= set(params.seeds)


def test_unknown_key_is_named(tmp_path):
    path = write_params(tmp_path, lambda p: p["grpo"].update(kl_coef=0.2))  # typo of kl_coeff
    with pytest.raises(ParamsError, match=r"grpo\.kl_coef: unknown key"):
        load_params(path)


def test_unknown_nested_key_is_named(tmp_path):
    path = write_params(tmp_path, lambda p: p["heuristic"]["weights"].update(humour=1.0))
    with pytest.raises(ParamsError, match=r"heuristic\.weights\.humour: unknown key"):
        load_params(path)


def test_wrong_type_is_named(tmp_path):
    path = write_params(tmp_path, lambda p: p["sft"].update(max_steps="many"))
    with pytest.raises(ParamsError, match=r"sft\.max_steps: expected an integer"):
        load_params(path)


def test_bool_is_not_an_int():
    with pytest.raises(ParamsError, match="grpo.max_steps"):
        build(GrpoConfig, {"max_steps": True}, "grpo")


def test_declared_bounds_are_checked_with_the_key_bound_and_value():
    with pytest.raises(ParamsError, match=r"^grpo\.top_p: must be in \(0, 1\], got 1\.5$"):
        build(TweetGrpoConfig, {"top_p": 1.5}, "grpo")
    with pytest.raises(ParamsError, match=r"^grpo\.num_generations: must be >= 2, got 1$"):
        build(GrpoConfig, {"num_generations": 1}, "grpo")


def test_the_study_extends_the_core_blocks():
    """The tweet study's prompt renders a tweet into the core's prompt; its GRPO block adds the reward."""
    cfg = build(TweetPromptConfig, {"instruction": "Answer:\n{tweet}", "max_prompt_tokens": 64}, "prompt")
    assert cfg.render("  Rain again  ") == Prompt("Answer:\n", "Rain again") and cfg.max_prompt_tokens == 64
    with pytest.raises(ParamsError, match=r"prompt\.instruction: must contain the placeholder \{tweet\}"):
        build(TweetPromptConfig, {"instruction": "Reply:"}, "prompt")
    grpo = build(TweetGrpoConfig, {"reward": "heuristic", "kl_coeff": 0.1}, "grpo")
    assert isinstance(grpo, GrpoConfig) and grpo.reward == "heuristic" and grpo.kl_coeff == 0.1
    with pytest.raises(ParamsError, match=r"grpo\.reward: unknown key"):
        build(GrpoConfig, {"reward": "heuristic"}, "grpo")   # the core's block knows no reward


def test_k_larger_than_n_rejected():
    with pytest.raises(ParamsError, match=r"eval\.k: k=20 must be between 1 and n_samples=10"):
        build(EvalConfig, {"n_samples": 10, "k": [1, 20]}, "eval")


def test_impossible_split_ratios(tmp_path):
    path = write_params(tmp_path, lambda p: p["split"].update(test_fraction=0.6, val_fraction=0.4))
    with pytest.raises(ParamsError, match=r"split\.test_fraction"):
        load_params(path)
    path = write_params(tmp_path, lambda p: p["split"].update(phase1_fraction=1.0))
    with pytest.raises(ParamsError, match=r"split\.phase1_fraction: must be strictly between 0 and 1"):
        load_params(path)


def test_lambda_key_maps_to_field(tmp_path):
    path = write_params(tmp_path, lambda p: p["polychromic"].update({"lambda": 0.25}))
    assert load_params(path).polychromic.lambda_ == 0.25
    path = write_params(tmp_path, lambda p: p["polychromic"].update({"lambda": -1}))
    with pytest.raises(ParamsError, match=r"polychromic\.lambda: must be > 0"):
        load_params(path)


@pytest.mark.parametrize("change, key", [
    ({"lambda": 0}, r"polychromic\.lambda: must be > 0, got 0"),   # lambda 0: the polychromic arm = the baseline
    ({"set_size": 4}, r"polychromic\.set_size: must be in \[2, n_samples=4\)"),   # one set: zero spread
    ({"set_size": 5}, r"polychromic\.set_size"),
    ({"set_size": 1}, r"polychromic\.set_size"),
    ({"n_samples": 2, "set_size": 2}, r"polychromic\.n_samples: must be >= 3"),
    ({"distinct_distance": 0}, r"polychromic\.distinct_distance"),
    ({"reward_temperature": 0}, r"polychromic\.reward_temperature"),
])
def test_polychromic_settings_that_switch_the_term_off_fail_before_work(tmp_path, change, key):
    path = write_params(tmp_path, lambda p: p["polychromic"].update(change))
    with pytest.raises(ParamsError, match=key):
        load_params(path)


def test_set_rl_set_size_must_leave_more_than_one_set_per_grpo_group(tmp_path):
    def mutate(p):
        p["polychromic"].update(n_samples=6, set_size=4)
        p["grpo"].update(num_generations=4)
    with pytest.raises(ParamsError, match=r"polychromic\.set_size: 4 must be < grpo\.num_generations=4"):
        load_params(write_params(tmp_path, mutate))


def test_unknown_top_level_block(tmp_path):
    path = write_params(tmp_path, lambda p: p.update(grpoo={}))
    with pytest.raises(ParamsError, match="grpoo: unknown top-level key"):
        load_params(path)


def test_stage_fails_before_work_on_bad_param(tmp_path):
    """A stage given a bad -S override exits with the key's name and writes nothing."""
    import subprocess
    import sys
    from pathlib import Path
    root = Path(__file__).resolve().parents[2]
    write_params(tmp_path, lambda p: p["validate"].update(on_eror="fail"))
    from tests.tweets.test_schema import VALIDATE_OUTPUTS
    res = subprocess.run([sys.executable, str(root / "stages/validate.py"), *VALIDATE_OUTPUTS], cwd=tmp_path,
                         capture_output=True, text=True)
    assert res.returncode != 0
    assert "validate.on_eror: unknown key" in res.stderr
    assert not (tmp_path / "data").exists()


def test_real_data_names_every_oracle_setting_in_one_error(tmp_path):
    """data.oracle: none with the demo's settings: one error lists each line to change (not one per run)."""
    import yaml
    p = tmp_path / "params.yaml"
    p.write_text(yaml.safe_dump({"data": {"oracle": "none"}, "grpo": {"log_oracle": True}}))
    with pytest.raises(ParamsError, match=r"data\.oracle: none \(real data has no oracle\) needs grpo\.log_oracle: "
                                          r"false .*; eval\.primary_judge: reference_similarity or llm_judge"):
        load_params(p)
    p.write_text(yaml.safe_dump({"data": {"oracle": "none"}, "grpo": {"log_oracle": False}}))
    with pytest.raises(ParamsError, match=r"needs eval\.primary_judge: reference_similarity or llm_judge \(README"):
        load_params(p)
    p.write_text(yaml.safe_dump({"data": {"oracle": "none"}, "grpo": {"log_oracle": False},
                                 "eval": {"primary_judge": "reference_similarity"}}))
    assert load_params(p).data.oracle == "none"


@pytest.mark.parametrize("reward,judge,refused", [
    ("hybrid", "learned_reward", True), ("hybrid", "heuristic_reward", True), ("learned", "learned_reward", True),
    ("heuristic", "heuristic_reward", True), ("learned", "heuristic_reward", False),
    ("hybrid", "reference_similarity", False), ("hybrid", "oracle", False)])
def test_primary_judge_that_is_part_of_the_training_reward_is_refused(tmp_path, reward, judge, refused):
    import yaml
    p = tmp_path / "params.yaml"
    p.write_text(yaml.safe_dump({"grpo": {"reward": reward}, "eval": {"primary_judge": judge}}))
    if refused:
        with pytest.raises(ParamsError, match=rf"eval\.primary_judge: {judge} is a component of GRPO's training "
                                              rf"reward \(grpo\.reward: {reward}\)"):
            load_params(p)
    else:
        assert load_params(p).eval.primary_judge == judge


def test_exploratory_seeds_must_be_trained_seeds(tmp_path):
    import yaml
    p = tmp_path / "params.yaml"
    p.write_text(yaml.safe_dump({"seeds": [1, 2], "exploratory_seeds": [3]}))
    with pytest.raises(ParamsError, match=r"exploratory_seeds: must be a list of distinct seeds from `seeds`"):
        load_params(p)
    p.write_text(yaml.safe_dump({"seeds": [1, 2], "eval": {"q4_ranking": ["grpo_baseline"]}}))
    with pytest.raises(ParamsError, match=r"eval\.q4_ranking: must order the four arms"):
        load_params(p)
    p.write_text(yaml.safe_dump({"seeds": [5, 6]}))
    assert list(load_params(p).exploratory_seeds) == []   # the set-RL arm is opt-in
    p.write_text(yaml.safe_dump({"seeds": [5, 6], "exploratory_seeds": [6]}))
    assert list(load_params(p).exploratory_seeds) == [6]


def test_process_count_must_split_every_global_batch(tmp_path):
    path = write_params(tmp_path, lambda p: p.update(distributed={"processes": 3}))
    with pytest.raises(ParamsError, match=r"sft\.batch_size: 8 does not split evenly over distributed.processes=3"):
        load_params(path)


def test_curate_block_bounds_and_min_max(tmp_path):
    params = load_params("params.yaml")
    assert params.curate.min_reply_likes == 5 and params.curate.max_followers == 20000
    path = write_params(tmp_path, lambda p: p["curate"].update(min_chars=300))      # above max_chars 280
    with pytest.raises(ParamsError, match=r"curate\.min_chars: 300 must be <= max_chars=280"):
        load_params(path)
    path = write_params(tmp_path, lambda p: p["curate"].update(min_followers=300, max_followers=0))  # 0: no cap
    assert load_params(path).curate.min_followers == 300
    path = write_params(tmp_path, lambda p: p["curate"].update(top_per_tweet=-1))
    with pytest.raises(ParamsError, match=r"^curate\.top_per_tweet: must be >= 0, got -1$"):
        load_params(path)
    path = write_params(tmp_path, lambda p: p["curate"].update(min_likes=5))         # typo of min_reply_likes
    with pytest.raises(ParamsError, match=r"curate\.min_likes: unknown key"):
        load_params(path)


def test_positive_control_seeds_must_be_training_seeds_and_need_the_demo_oracle(tmp_path):
    def only_42(p):
        p["seeds"] = [42]
    with pytest.raises(ParamsError, match=r"positive_control_seeds: must be seeds from `seeds` \[42\], got \[42, 43, "
                                          r"44\] \(with fewer seeds: -S 'positive_control_seeds=\[42\]'"):
        load_params(write_params(tmp_path, only_42))

    def real_data(p):
        p["data"]["oracle"] = "none"
        p["grpo"]["log_oracle"] = False
        p["eval"]["primary_judge"] = "reference_similarity"
    with pytest.raises(ParamsError, match=r"needs positive_control_seeds: \[\] \(the gold-reward control trains on the "
                                          r"oracle\) \(README"):
        load_params(write_params(tmp_path, real_data))

    def real_data_no_gold(p):
        real_data(p)
        p["positive_control_seeds"] = []
    assert load_params(write_params(tmp_path, real_data_no_gold)).positive_control_seeds == ()
