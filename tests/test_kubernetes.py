"""examples/kubernetes: the Indexed Job that runs one shard of run.yaml per pod. Its manifests
validate offline against the Kubernetes schemas (`kubernetes-validate` ships them), and its parts
agree: N, the command line, the run file, the Secret, the shared volume and the image's user.

The container's command is run by a real shell with a stand-in `marketo-sim` that records its
arguments, so the `--shard` arithmetic is checked as a pod would do it.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml
from kubernetes_validate.utils import latest_version, major_minor

from simulator.cli import build_parser, main
from simulator.runfile.scenario import check_run

ROOT = Path(__file__).resolve().parent.parent
KUBE = ROOT / "examples" / "kubernetes"
README = (ROOT / "README.md").read_text(encoding="utf-8")
SECRET = "marketo-sim-secrets"
OUT = "/out"  # where the shared volume is mounted, in every pod that reads or writes outputs
# The oldest Kubernetes the manifests are for (backoffLimitPerIndex is on by default from 1.29,
# podFailurePolicy from 1.26) and the newest whose schemas the package ships.
VERSIONS = ("1.29", major_minor(latest_version()))

Manifest = dict[str, Any]


def load(name: str) -> Manifest:
    """One YAML document of examples/kubernetes."""
    document: Manifest = yaml.safe_load((KUBE / name).read_text(encoding="utf-8"))
    return document


KUSTOMIZATION = load("kustomization.yaml")
JOB = load("job.yaml")
COLLECT = load("collect.yaml")
PVC = load("pvc.yaml")
POD = JOB["spec"]["template"]["spec"]
CONTAINER = POD["containers"][0]


def generated_config_maps() -> list[Manifest]:
    """The ConfigMaps kustomization.yaml's configMapGenerator makes: each file a key, by name."""
    return [
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": generator["name"]},
            "data": {
                Path(file).name: (KUBE / file).read_text(encoding="utf-8")
                for file in generator["files"]
            },
        }
        for generator in KUSTOMIZATION["configMapGenerator"]
    ]


def objects() -> list[tuple[str, Manifest]]:
    """Every Kubernetes object of the example, named for the test's id."""
    listed = [(name, load(name)) for name in KUSTOMIZATION["resources"]]
    generated = [(f"configmap:{m['metadata']['name']}", m) for m in generated_config_maps()]
    return [*listed, *generated, ("collect.yaml", COLLECT)]


def volume(pod: Manifest, mount_path: str) -> Manifest:
    """The volume `pod`'s first container mounts at `mount_path`."""
    mounts = {m["mountPath"]: m["name"] for m in pod["containers"][0]["volumeMounts"]}
    return next(v for v in pod["volumes"] if v["name"] == mounts[mount_path])


def completions() -> int:
    """N: the number of shards, as the Job declares it."""
    n: int = JOB["spec"]["completions"]
    return n


def shard_argv(index: int, tmp_path: Path) -> list[str]:
    """The arguments pod `index` passes to `marketo-sim`: its command run by /bin/sh, with
    JOB_COMPLETION_INDEX set as Kubernetes sets it, a stand-in `marketo-sim` first on PATH that
    records them, and the shared volume's path moved under tmp_path (as it stays in the result:
    the folders the script made are there)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    record = tmp_path / f"argv-{index}"
    stand_in = bin_dir / "marketo-sim"
    stand_in.write_text(f'#!/bin/sh\nprintf "%s\\n" "$@" > {shlex.quote(str(record))}\n')
    stand_in.chmod(0o755)
    script = CONTAINER["args"][0].replace(f"{OUT}/", f"{tmp_path}{OUT}/")
    environ = {"PATH": f"{bin_dir}:{os.environ['PATH']}", "JOB_COMPLETION_INDEX": str(index)}
    subprocess.run([*CONTAINER["command"], script], env=environ, check=True, timeout=10)
    return record.read_text().splitlines()


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize(("name", "manifest"), objects(), ids=[name for name, _ in objects()])
def test_every_manifest_validates_against_the_kubernetes_schema(
    name: str, manifest: Manifest, version: str
) -> None:
    """Each object is valid for the oldest and newest Kubernetes, with unknown fields refused
    (strict): read from the schemas the package ships, with no network."""
    assert kubernetes_validate.validate(manifest, version, strict=True) == version


def test_the_kustomization_lists_every_manifest_but_the_collect_pod() -> None:
    """`kubectl apply -k` makes the volume and the Job (collect.yaml comes after the Job), and
    the Job mounts the ConfigMap the generator makes from run.yaml."""
    assert KUSTOMIZATION["resources"] == ["pvc.yaml", "job.yaml"]
    assert generated_config_maps()[0]["metadata"]["name"] == "marketo-sim-run"
    assert volume(POD, "/etc/marketo-sim")["configMap"]["name"] == "marketo-sim-run"
    assert list(generated_config_maps()[0]["data"]) == ["run.yaml"]


def test_the_job_is_indexed_with_one_pod_per_shard_all_at_once() -> None:
    """completions == parallelism: N pods at once, pod k running shard k + 1 of N."""
    spec = JOB["spec"]
    assert spec["completionMode"] == "Indexed"
    assert spec["completions"] == spec["parallelism"] == 4


@pytest.mark.parametrize("index", range(4))
def test_pod_k_runs_shard_k_plus_1_of_n(index: int, tmp_path: Path) -> None:
    """The shell computes `--shard` from JOB_COMPLETION_INDEX: 1/4 to 4/4, N being completions."""
    argv = shard_argv(index, tmp_path)
    assert argv[argv.index("--shard") + 1] == f"{index + 1}/{completions()}"


def test_the_shard_flag_is_written_for_any_n() -> None:
    """The literal in job.yaml: 1-based from the 0-based index, of N = completions."""
    assert f'--shard "$(( JOB_COMPLETION_INDEX + 1 ))/{completions()}"' in CONTAINER["args"][0]


def test_the_command_parses_with_our_own_parser(tmp_path: Path) -> None:
    """The line the pod runs is a `run` of the mounted run file, its index's shard of N, that
    our parser accepts whole."""
    argv = shard_argv(2, tmp_path)
    args = build_parser(only="run").parse_args(argv)
    assert args.command == "run"
    assert str(args.shard) == f"3/{completions()}"
    assert args.file == Path("/etc/marketo-sim/run.yaml")
    assert args.log == Path(f"{tmp_path}{OUT}/shard-2/attempts.jsonl")
    assert args.json == Path(f"{tmp_path}{OUT}/shard-2/result.json")


def test_prometheus_finds_each_shards_metrics_on_the_port_the_run_serves(tmp_path: Path) -> None:
    """The pod's named port and its scrape annotations are the port `--metrics-port` serves, on
    every interface (`--metrics-host 0.0.0.0`): a Prometheus in another pod can reach it."""
    args = build_parser(only="run").parse_args(shard_argv(0, tmp_path))
    (port,) = CONTAINER["ports"]
    assert (port["name"], port["containerPort"]) == ("metrics", args.metrics_port)
    assert args.metrics_host == "0.0.0.0"
    annotations = JOB["spec"]["template"]["metadata"]["annotations"]
    assert annotations["prometheus.io/port"] == str(args.metrics_port)
    assert annotations["prometheus.io/path"] == "/metrics"


def test_each_pod_writes_its_own_folder_on_the_shared_volume(tmp_path: Path) -> None:
    """Outputs go to /out/shard-k, one folder per index, on the ReadWriteMany claim that the
    collect pod mounts at the same place; the folder exists before the run writes into it."""
    for index in range(completions()):
        argv = shard_argv(index, tmp_path)
        folder = f"{tmp_path}{OUT}/shard-{index}"
        assert argv[argv.index("--log") + 1] == f"{folder}/attempts.jsonl"
        assert argv[argv.index("--json") + 1] == f"{folder}/result.json"
        assert Path(folder).is_dir()
    claim = PVC["metadata"]["name"]
    assert PVC["spec"]["accessModes"] == ["ReadWriteMany"]
    assert volume(POD, OUT)["persistentVolumeClaim"] == {"claimName": claim}
    assert volume(COLLECT["spec"], OUT)["persistentVolumeClaim"] == {"claimName": claim}


def test_the_run_file_passes_check_without_its_secrets(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`marketo-sim check run.yaml` exits 0; its only warnings are the unset secrets."""
    for name in ("CONSUMER_TOKEN", "IDP_CLIENT_ID", "IDP_CLIENT_SECRET"):
        monkeypatch.delenv(name, raising=False)
    assert main(["check", str(KUBE / "run.yaml")]) == 0
    warnings = capsys.readouterr().err.splitlines()
    assert len(warnings) == 3
    assert all(re.search(r"environment variable \w+ is not set", line) for line in warnings)


def test_every_variable_the_run_file_names_comes_from_the_secret() -> None:
    """Each variable run.yaml names (tokenEnv, clientIdEnv, clientSecretEnv) is set from the
    Secret's key of the same name, and no variable of the container is a literal secret."""
    _, unset = check_run(KUBE / "run.yaml", environ={})
    named = [secret.variable for secret in unset]
    assert named == ["CONSUMER_TOKEN", "IDP_CLIENT_ID", "IDP_CLIENT_SECRET"]
    env = {variable["name"]: variable for variable in CONTAINER["env"]}
    assert set(env) == set(named)
    for name in named:
        assert env[name] == {
            "name": name,
            "valueFrom": {"secretKeyRef": {"name": SECRET, "key": name}},
        }


def test_the_readme_creates_the_secret_with_every_key() -> None:
    """README's `kubectl create secret` makes the Secret the Job reads, with each key, each
    value taken from the caller's environment rather than typed on the line."""
    command = re.search(rf"kubectl create secret generic {SECRET}((?:.* \\\n)+.*)", README)
    assert command is not None
    for name in ("CONSUMER_TOKEN", "IDP_CLIENT_ID", "IDP_CLIENT_SECRET"):
        assert f'--from-literal={name}="${name}"' in command.group(1)


@pytest.mark.parametrize(("name", "pod"), [("job", POD), ("collect", COLLECT["spec"])])
def test_pods_run_as_the_image_user_on_a_read_only_root(name: str, pod: Manifest) -> None:
    """Non-root as the Dockerfile's numeric user, no privilege escalation, no capability, a
    read-only root file system, no API token; a scratch /tmp of bounded size."""
    user = re.search(r"^USER (\d+):(\d+)$", (KUBE / "Dockerfile").read_text(), re.M)
    assert user is not None
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] == int(user.group(1))
    assert pod["securityContext"]["runAsGroup"] == int(user.group(2))
    assert pod["automountServiceAccountToken"] is False
    assert pod["containers"][0]["securityContext"] == {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "capabilities": {"drop": ["ALL"]},
    }
    assert volume(pod, "/tmp")["emptyDir"] == {"sizeLimit": "64Mi"}


def test_a_shard_has_one_core_and_bounded_memory_guaranteed() -> None:
    """Requests equal limits (the Guaranteed class); one core, as one process uses at most."""
    resources = CONTAINER["resources"]
    assert resources["requests"] == resources["limits"] == {"cpu": "1", "memory": "256Mi"}


def test_the_job_outlives_the_run_and_never_reruns_a_shard_that_ran() -> None:
    """The deadline leaves room past the run file's duration; a failed index is not retried
    (its load reached the consumer), a bad file fails the whole Job, a disruption is retried."""
    spec = JOB["spec"]
    duration = check_run(KUBE / "run.yaml", environ={})[0].duration
    assert duration == 7200
    assert spec["activeDeadlineSeconds"] > duration
    assert spec["backoffLimitPerIndex"] == 0
    assert POD["restartPolicy"] == "Never"
    ignore, fail = spec["podFailurePolicy"]["rules"]
    assert ignore["action"] == "Ignore"
    assert ignore["onPodConditions"] == [{"type": "DisruptionTarget", "status": "True"}]
    assert fail["action"] == "FailJob"
    assert fail["onExitCodes"] == {"containerName": "marketo-sim", "operator": "In", "values": [2]}


def test_the_image_is_built_from_this_repository_and_named_alike_everywhere() -> None:
    """The Dockerfile copies what the package needs from the repository's root; the Job, the
    collect pod and README's `docker build` name one image."""
    dockerfile = (KUBE / "Dockerfile").read_text()
    for line in re.findall(r"^COPY (?!--from)(.+) \S+$", dockerfile, re.M):
        for source in line.split():
            assert (ROOT / source).exists(), source
    image = CONTAINER["image"]
    assert COLLECT["spec"]["containers"][0]["image"] == image
    assert f"docker build -f examples/kubernetes/Dockerfile -t {image} ." in README
    assert f"docker build -f examples/kubernetes/Dockerfile -t {image} ." in dockerfile


def test_every_shard_of_the_run_file_holds_a_subscription() -> None:
    """A shard that holds no subscription is refused (exit 2, which fails the whole Job): the
    partition, by a hash of the name, gives each of the N pods at least one of run.yaml's."""
    from simulator.fleet import shard

    run, _ = check_run(KUBE / "run.yaml", environ={})
    names = [subscription.name for subscription in run.subscriptions]
    n = completions()
    held = [shard.members(names, shard.parse_shard(f"{i}/{n}")) for i in range(1, n + 1)]
    assert all(held)
    assert sorted(name for names_of in held for name in names_of) == sorted(names)


def ci_matrix() -> Manifest:
    """README's GitHub Actions example: the YAML block with a `strategy.matrix`."""
    blocks = re.findall(r"^( *)```yaml\n(.*?)^\1```", README, re.M | re.S)
    texts = [
        "\n".join(line.removeprefix(indent) for line in text.splitlines())
        for indent, text in blocks
    ]
    document: Manifest = yaml.safe_load(next(text for text in texts if "strategy:" in text))
    return document


def test_the_readme_ci_matrix_runs_one_shard_per_job_then_merges() -> None:
    """Shards 1..N, one a job, N being the `/N` of its --shard; a failed shard does not cancel
    the others; the merge job waits for them all and runs even when one failed."""
    jobs = ci_matrix()["jobs"]
    strategy = jobs["shard"]["strategy"]
    shards = strategy["matrix"]["shard"]
    runs = [step["run"] for step in jobs["shard"]["steps"] if "marketo-sim" in step.get("run", "")]
    assert strategy["fail-fast"] is False
    assert shards == list(range(1, len(shards) + 1))
    assert runs == [
        f"marketo-sim run run.yaml --shard ${{{{ matrix.shard }}}}/{len(shards)} "
        "--log attempts.jsonl --json result.json"
    ]
    assert jobs["merge"]["needs"] == "shard"
    assert jobs["merge"]["if"] == "always()"
    assert {"run": "marketo-sim merge merged out/*/*"} in jobs["merge"]["steps"]
