using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json.Nodes;
using Xunit.Abstractions;

namespace Granary.Silo.Tests;

/// <summary>
/// `granary run` against a real `granary start` head with two simulated GPUs: each command runs as a task
/// packed by GPU memory, its lines come back, one summary line per command follows, and the exit code is
/// 0 only when every command exited 0. A command reports simulated GPU use through the file
/// $GRANARY_SIMULATED_GPU_MEMORY_FILE names, and the head's profile of the command shows it.
/// </summary>
[Collection(ProcessClusterCollection.Name)]
public sealed class RunCommandProcessTests(ITestOutputHelper output) : OwnClusterTest(output)
{
    private const string Hello = "echo hello";
    private const string ThreeGigabytes = "sh -c 'echo 3000000000 > $GRANARY_SIMULATED_GPU_MEMORY_FILE; sleep 0.3'";

    [Fact]
    public async Task Commands_run_on_gpus_print_their_lines_and_leave_a_profile_of_what_they_used()
    {
        await Cluster.StartHeadAsync("--gpus", "2");

        var run = await Cluster.RunCliAsync(TimeSpan.FromSeconds(60), "run", "--address", Cluster.HeadAddress, Hello, ThreeGigabytes);
        Output.WriteLine(run.ToString());
        Assert.True(run.ExitCode == 0, run.ToString());
        var lines = run.Stdout.Split('\n').Select(l => l.TrimEnd()).ToList();
        Assert.Contains("(head task=echo hello) hello", lines);
        var first = Assert.Single(lines, l => l.StartsWith("granary run: [1] ", StringComparison.Ordinal));
        Assert.Matches(@"^granary run: \[1\] exit 0 on head GPU [01]: echo hello$", first);
        var second = Assert.Single(lines, l => l.StartsWith("granary run: [2] ", StringComparison.Ordinal));
        Assert.Matches(@"^granary run: \[2\] exit 0 on head GPU [01]: sh -c 'echo 3000000000", second);
        // The summary comes after every command's output.
        Assert.True(lines.IndexOf("(head task=echo hello) hello") < lines.IndexOf(first), run.Stdout);

        var status = await Cluster.RunCliAsync("status", "--json");
        Assert.True(status.ExitCode == 0, status.ToString());
        var profiles = JsonNode.Parse(status.Stdout)!["gpuProfiles"]!.AsArray();
        var used = Assert.Single(profiles, p => ((string)p!["jobType"]!).EndsWith("#" + ThreeGigabytes, StringComparison.Ordinal))!;
        Assert.Equal("known", (string?)used["state"]);
        Assert.Equal(3_000_000_000, (long)used["peakBytes"]!);
        Assert.Equal(1, (int)used["runs"]!);
        var hello = Assert.Single(profiles, p => ((string)p!["jobType"]!).EndsWith("#" + Hello, StringComparison.Ordinal))!;
        Assert.Equal("known", (string?)hello["state"]);
        Assert.Equal(0, (long)hello["peakBytes"]!);
    }

    [Fact]
    public async Task A_command_is_profiled_alone_once_then_its_runs_are_packed_onto_one_gpu_by_that_profile()
    {
        await Cluster.StartHeadAsync("--gpus", "2");
        // Each run uses 3 GB and waits until as many runs as the file "want" says have started: with 4 it
        // passes only when four run at once, which two GPUs allow only when they share one by memory.
        var folder = Directory.CreateDirectory(Path.Combine(Cluster.RunDirectory, "runs")).FullName;
        var command = $"echo 3000000000 > $GRANARY_SIMULATED_GPU_MEMORY_FILE; touch {folder}/started.$$; i=0; " +
            $"while [ $(ls {folder} | grep -c started) -lt $(cat {folder}/want) ]; do i=$((i+1)); [ $i -gt 300 ] && exit 7; sleep 0.1; done";

        File.WriteAllText(Path.Combine(folder, "want"), "1");
        var profiled = await Cluster.RunCliAsync(TimeSpan.FromSeconds(60), "run", "--address", Cluster.HeadAddress, command);
        Assert.True(profiled.ExitCode == 0, profiled.ToString());

        foreach (var started in Directory.GetFiles(folder, "started.*"))
        {
            File.Delete(started);
        }

        File.WriteAllText(Path.Combine(folder, "want"), "4");
        var packed = await Cluster.RunCliAsync(TimeSpan.FromSeconds(60), "run", "--address", Cluster.HeadAddress, command, command, command, command);
        Output.WriteLine(packed.ToString());
        Assert.True(packed.ExitCode == 0, packed.ToString());
        var gpus = packed.Stdout.Split('\n').Where(l => l.StartsWith("granary run: [", StringComparison.Ordinal)).Select(l => l.Split(" GPU ")[1][..1]).ToList();
        Assert.Equal(4, gpus.Count);
        Assert.Single(gpus.Distinct());

        var status = await Cluster.RunCliAsync("status", "--json");
        var profile = Assert.Single(JsonNode.Parse(status.Stdout)!["gpuProfiles"]!.AsArray(), p => ((string)p!["jobType"]!).EndsWith("#" + command, StringComparison.Ordinal))!;
        Assert.Equal("known", (string?)profile["state"]);
        Assert.Equal(3_000_000_000, (long)profile["peakBytes"]!);
        Assert.Equal(5, (int)profile["runs"]!);
        Assert.Equal(0, (int)profile["outgrown"]!);
    }

    [Fact]
    public async Task A_failing_command_a_command_out_of_gpu_memory_and_one_past_its_timeout_give_a_non_zero_exit()
    {
        await Cluster.StartHeadAsync("--gpus", "2");

        // The first command's exit code is the run's, and the other command still runs to the end.
        var failed = await Cluster.RunCliAsync(TimeSpan.FromSeconds(60), "run", "--address", Cluster.HeadAddress, "echo failing >&2; exit 3", "echo fine");
        Output.WriteLine(failed.ToString());
        Assert.True(failed.ExitCode == 3, failed.ToString());
        Assert.Contains("(head task=echo failing >&2; exit 3) failing", failed.Stderr);
        Assert.Contains("(head task=echo fine) fine", failed.Stdout);
        Assert.Matches(@"granary run: \[1\] exit 3 on head GPU [01]: echo failing >&2; exit 3\n", failed.Stdout);
        Assert.Matches(@"granary run: \[2\] exit 0 on head GPU [01]: echo fine\n", failed.Stdout);

        // More than the 16 GiB device: the report throws, the command is killed at once (not after its
        // sleep), and as it ran out alone its task fails with the out-of-memory error.
        const string TooBig = "echo 20000000000 > $GRANARY_SIMULATED_GPU_MEMORY_FILE; sleep 60";
        var clock = Stopwatch.StartNew();
        var oom = await Cluster.RunCliAsync(TimeSpan.FromSeconds(60), "run", "--address", Cluster.HeadAddress, TooBig);
        Output.WriteLine(oom.ToString());
        Assert.True(oom.ExitCode == 1, oom.ToString());
        Assert.Contains("granary run: [1] failed: GpuOutOfMemoryException: ", oom.Stdout);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(40), $"the command was not killed: the run took {clock.Elapsed}");
        var status = await Cluster.RunCliAsync("status", "--json");
        var profile = Assert.Single(JsonNode.Parse(status.Stdout)!["gpuProfiles"]!.AsArray(), p => ((string)p!["jobType"]!).EndsWith("#" + TooBig, StringComparison.Ordinal))!;
        Assert.True((int)profile["outOfMemory"]! >= 1, profile.ToJsonString());
        Assert.Contains("GpuOutOfMemoryException", (string?)profile["lastError"]);

        var late = await Cluster.RunCliAsync(TimeSpan.FromSeconds(60), "run", "--address", Cluster.HeadAddress, "--timeout", "0.5", "sleep 60");
        Output.WriteLine(late.ToString());
        Assert.True(late.ExitCode == 124, late.ToString());
        Assert.Matches(@"granary run: \[1\] exit 124 \(timed out\) on head GPU [01]: sleep 60\n", late.Stdout);
        Assert.Contains("(head task=sleep 60) granary run: killed after 0.5 s (--timeout)", late.Stderr);
    }

    [Fact]
    public async Task Ctrl_C_kills_the_commands_still_running_and_exits_130()
    {
        await Cluster.StartHeadAsync("--gpus", "1");
        var pidFile = Path.Combine(Cluster.RunDirectory, "command.pid");
        var lines = new ConcurrentQueue<string>();
        using var run = new Process { StartInfo = Cluster.CliStartInfo("run", "--address", Cluster.HeadAddress, $"echo $$ > {pidFile}; echo started; exec sleep 60") };
        run.OutputDataReceived += (_, e) => Keep(lines, e.Data);
        run.ErrorDataReceived += (_, e) => Keep(lines, e.Data is null ? null : "stderr: " + e.Data);
        run.Start();
        run.BeginOutputReadLine();
        run.BeginErrorReadLine();
        try
        {
            await Eventually.HoldsAsync(() => lines.Any(l => l.EndsWith(") started", StringComparison.Ordinal)), TimeSpan.FromSeconds(30), "the command started", () => string.Join('\n', lines));
            var pid = int.Parse(File.ReadAllText(pidFile).Trim(), System.Globalization.CultureInfo.InvariantCulture);
            using (var interrupt = Process.Start("kill", ["-INT", run.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            {
                await interrupt.WaitForExitAsync().WithTimeout();
            }

            await run.WaitForExitAsync().WithTimeout(TimeSpan.FromSeconds(20));
            Assert.True(run.ExitCode == 130, $"exit code {run.ExitCode}:\n{string.Join('\n', lines)}");
            Assert.Contains(lines, l => l.StartsWith("granary run: [1] failed: cancelled (Ctrl+C): ", StringComparison.Ordinal));
            // The node killed the command (its shell became `sleep 60` through exec) rather than let it run on.
            await Eventually.HoldsAsync(() => !Directory.Exists($"/proc/{pid}"), TimeSpan.FromSeconds(15), $"the command's process {pid} is gone");
        }
        finally
        {
            if (!run.HasExited)
            {
                run.Kill(entireProcessTree: true);
            }
        }
    }

    [Fact]
    public async Task Without_a_reachable_head_it_exits_1_with_a_one_line_reason()
    {
        var run = await Cluster.RunCliAsync(TimeSpan.FromSeconds(60), "run", "--address", "127.0.0.1:1", "echo never");
        Assert.True(run.ExitCode == 1, run.ToString());
        Assert.StartsWith("granary: cannot reach the head at 127.0.0.1:1", run.Stderr);
        Assert.Single(run.Stderr.Trim().Split('\n'));
        Assert.DoesNotContain("never", run.Stdout);
    }

    private static void Keep(ConcurrentQueue<string> lines, string? line)
    {
        if (line is not null)
        {
            lines.Enqueue(line);
        }
    }
}
