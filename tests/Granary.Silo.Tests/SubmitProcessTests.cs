using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Xunit.Abstractions;

namespace Granary.Silo.Tests;

/// <summary>
/// `granary submit` and `granary job` against real `granary start` processes, submitting the build output of
/// tests/Granary.SubmitApp: the driver's lines stream back and its exit code is submit's; a job submitted
/// with --no-wait runs on, and its state and logs stay at the head, after the submitting process is gone;
/// `job stop` kills the driver; Ctrl+C detaches without stopping it; a dead node fails its jobs.
/// </summary>
[Collection(ProcessClusterCollection.Name)]
public sealed class SubmitProcessTests(ITestOutputHelper output) : OwnClusterTest(output)
{
    private static readonly TimeSpan JobWait = TimeSpan.FromSeconds(60);

    /// <summary>The app's entry assembly, built beside the tests in the same configuration.</summary>
    private static string App
    {
        get
        {
            var framework = new DirectoryInfo(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory));
            return Path.Combine(RepoFiles.Root, "tests", "Granary.SubmitApp", "bin", framework.Parent!.Name, framework.Name, "Granary.SubmitApp.dll");
        }
    }

    [Fact]
    public async Task Submit_streams_the_drivers_lines_and_exits_with_its_exit_code()
    {
        await Cluster.StartHeadAsync("--cpus", "2");

        var run = await Cluster.RunCliAsync(JobWait, "submit", "--address", Cluster.HeadAddress, "--env", "FOO=bar baz", "--",
            "dotnet", App, "lines", "3", "env", "FOO", "env", "GRANARY_JOB_ID", "remote", "exit", "3");
        Output.WriteLine(run.ToString());
        Assert.True(run.ExitCode == 3, run.ToString());
        var lines = Lines(run.Stdout);
        Assert.Equal(["line 1", "line 2", "line 3"], lines.Where(l => l.StartsWith("line ", StringComparison.Ordinal)));
        Assert.Contains("to stderr", lines);
        Assert.Contains("env FOO=bar baz", lines);
        // The driver joined the cluster through GRANARY_ADDRESS and ran a task there.
        Assert.Contains("remote: 49 on head", lines);
        var id = Assert.Single(lines, l => l.StartsWith("env GRANARY_JOB_ID=", StringComparison.Ordinal))["env GRANARY_JOB_ID=".Length..];
        Assert.StartsWith("sub-", id);
        Assert.Contains($"job {id} FAILED (exit 3) on node head", run.Stderr);

        var list = await Cluster.RunCliAsync("job", "list", "--json");
        Assert.True(list.ExitCode == 0, list.ToString());
        var job = Assert.Single(JsonNode.Parse(list.Stdout)!.AsArray())!;
        Assert.Equal(id, (string?)job["id"]);
        Assert.Equal("FAILED", (string?)job["state"]);
        Assert.Equal(3, (int?)job["exitCode"]);
        Assert.Equal("head", (string?)job["node"]);
        Assert.Contains("Granary.SubmitApp.dll lines 3", (string?)job["entrypoint"]);
        Assert.Contains("exited with code 3", (string?)job["message"]);
    }

    [Fact]
    public async Task A_job_submitted_without_waiting_keeps_its_state_and_logs_at_the_head_after_its_client_is_gone()
    {
        await Cluster.StartHeadAsync();

        var submit = await Cluster.RunCliAsync("submit", "--no-wait", "--", "dotnet", App, "lines", "2", "sleep", "1");
        Assert.True(submit.ExitCode == 0, submit.ToString());
        var id = submit.Stdout.Trim();
        Assert.StartsWith("sub-", id);

        // The submitting process has exited; the job runs on and ends at the head.
        var status = await WaitForStateAsync(id, "SUCCEEDED");
        Assert.Equal(0, (int?)status["exitCode"]);
        Assert.NotNull(status["endedUnixMs"]);

        var logs = await Cluster.RunCliAsync("job", "logs", id);
        Assert.True(logs.ExitCode == 0, logs.ToString());
        Assert.Equal(["line 1", "line 2", "to stderr"], Lines(logs.Stdout));

        var table = await Cluster.RunCliAsync("job", "list");
        Assert.True(table.ExitCode == 0, table.ToString());
        Assert.Matches($@"(?m)^{id}\s+SUCCEEDED\s+0\s+head\s", table.Stdout);

        var text = await Cluster.RunCliAsync("job", "status", id);
        Assert.Contains($"job {id}: SUCCEEDED", text.Stdout);

        var unknown = await Cluster.RunCliAsync("job", "status", "sub-000000000000");
        Assert.Equal(1, unknown.ExitCode);
        Assert.Contains("sub-000000000000", unknown.Stderr);
        Assert.Contains("granary job list", unknown.Stderr);
    }

    [Fact]
    public async Task Stop_kills_a_running_driver_and_ctrl_c_on_submit_leaves_it_running()
    {
        await Cluster.StartHeadAsync();
        var pidFile = Path.Combine(Cluster.RunDirectory, "driver.pid");

        // Follow the job, then Ctrl+C: submit detaches, saying how to follow it again, and the job runs on.
        var lines = new ConcurrentQueue<string>();
        using var follow = new Process { StartInfo = Cluster.CliStartInfo("submit", "--", "dotnet", App, "lines", "1", "pidfile", pidFile, "sleep", "300") };
        follow.OutputDataReceived += (_, e) => Keep(lines, e.Data);
        follow.ErrorDataReceived += (_, e) => Keep(lines, e.Data);
        follow.Start();
        follow.BeginOutputReadLine();
        follow.BeginErrorReadLine();
        try
        {
            await Eventually.HoldsAsync(() => lines.Contains("line 1") && File.Exists(pidFile), JobWait, "the followed driver prints its line", () => string.Join('\n', lines));
            using (var interrupt = Process.Start("kill", ["-INT", follow.Id.ToString(CultureInfo.InvariantCulture)]))
            {
                await interrupt.WaitForExitAsync().WithTimeout();
            }

            await follow.WaitForExitAsync().WithTimeout(TimeSpan.FromSeconds(15));
            Assert.True(follow.ExitCode == 130, $"exit {follow.ExitCode}:\n{string.Join('\n', lines)}");
        }
        finally
        {
            if (!follow.HasExited)
            {
                follow.Kill(entireProcessTree: true);
            }
        }

        var detached = Assert.Single(lines, l => l.Contains("detached", StringComparison.Ordinal));
        var id = System.Text.RegularExpressions.Regex.Match(detached, "sub-[0-9a-f]{12}").Value;
        Assert.Contains($"granary job logs {id} --follow", detached);
        var pid = int.Parse(File.ReadAllText(pidFile), CultureInfo.InvariantCulture);
        Assert.Equal("RUNNING", (string?)(await StatusAsync(id))["state"]);
        Assert.True(Directory.Exists($"/proc/{pid}"), "the driver died with the client that followed it");

        var stop = await Cluster.RunCliAsync("job", "stop", id);
        Assert.True(stop.ExitCode == 0, stop.ToString());
        Assert.Contains($"job {id} STOPPED", stop.Stdout);
        await Eventually.HoldsAsync(() => !Directory.Exists($"/proc/{pid}"), TimeSpan.FromSeconds(10), $"driver process {pid} is gone");
        var status = await StatusAsync(id);
        Assert.Equal("STOPPED", (string?)status["state"]);
        Assert.Contains("granary job stop", (string?)status["message"]);
    }

    [Fact]
    public async Task A_job_whose_node_dies_fails_saying_so()
    {
        await Cluster.StartHeadAsync("--cpus", "0");
        await Cluster.StartWorkerAsync("w1", "--cpus", "1");
        var pidFile = Path.Combine(Cluster.RunDirectory, "driver.pid");

        // One CPU: only w1 has it.
        var submit = await Cluster.RunCliAsync("submit", "--no-wait", "--cpus", "1", "--", "dotnet", App, "pidfile", pidFile, "sleep", "300");
        Assert.True(submit.ExitCode == 0, submit.ToString());
        var id = submit.Stdout.Trim();
        await WaitForStateAsync(id, "RUNNING");
        await Eventually.HoldsAsync(() => File.Exists(pidFile), JobWait, "the driver starts");
        Assert.Equal("w1", (string?)(await StatusAsync(id))["node"]);

        await Cluster.KillAsync("w1");
        var status = await WaitForStateAsync(id, "FAILED");
        Assert.Contains("w1 died", (string?)status["message"]);
        Assert.Null(status["exitCode"]);
    }

    private static void Keep(ConcurrentQueue<string> lines, string? line)
    {
        if (line is not null)
        {
            lines.Enqueue(line);
        }
    }

    private static List<string> Lines(string text) => [.. text.Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.Length > 0)];

    private async Task<JsonNode> StatusAsync(string id)
    {
        var status = await Cluster.RunCliAsync("job", "status", id, "--json");
        Assert.True(status.ExitCode == 0, status.ToString());
        return JsonNode.Parse(status.Stdout)!;
    }

    private async Task<JsonNode> WaitForStateAsync(string id, string state)
    {
        JsonNode? last = null;
        await Eventually.HoldsAsync(
            async () => (string?)(last = await StatusAsync(id))["state"] == state,
            JobWait,
            $"job {id} is {state}",
            () => last?.ToJsonString() ?? "no status yet");
        return last!;
    }
}
