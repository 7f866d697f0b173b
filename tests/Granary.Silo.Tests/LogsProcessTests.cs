using System.Collections.Concurrent;
using Xunit.Abstractions;

namespace Granary.Silo.Tests;

/// <summary>
/// Logs and the runtime environment on real `granary start` processes: a head and one worker ("w1", which
/// runs tasks in its own process and in worker processes), both started with --log-dir.
/// </summary>
[Collection(ProcessClusterCollection.Name)]
public sealed class LogsProcessTests(LogsProcessTests.Cluster cluster, ITestOutputHelper output)
    : SharedClusterTest(cluster.Processes, output), IClassFixture<LogsProcessTests.Cluster>
{
    private static readonly RemoteOptions Isolated = new() { Isolation = Isolation.Process, MaxRetries = 0 };

    [Fact]
    public async Task Lines_from_a_silo_and_its_worker_process_reach_the_client_and_log_dir_holds_each_silos_log()
    {
        var marker = Guid.NewGuid().ToString("N")[..8];
        var lines = new ConcurrentQueue<TaskLogEventArgs>();
        Client.TaskLog += (_, line) => lines.Enqueue(line);

        var siloPid = await Client.Remote(() => LogProcessJobs.Say("silo " + marker)).WithTimeout();
        var workerPid = await Client.Remote(() => LogProcessJobs.Say("worker " + marker), Isolated).WithTimeout();
        Assert.NotEqual(siloPid, workerPid);
        await Eventually.HoldsAsync(() => lines.Count(l => l.Text.EndsWith(marker, StringComparison.Ordinal)) == 2, TimeSpan.FromSeconds(10), "both lines reach the client", () => string.Join(" | ", lines));
        Assert.Contains(lines, l => l.ToString() == $"(w1 task=LogProcessJobs.Say) silo {marker}");
        Assert.Contains(lines, l => l.ToString() == $"(w1 task=LogProcessJobs.Say) worker {marker}");

        // A job that ships nothing: its worker process's line lands in the silo's own log, and so in its file.
        await using (var quiet = await cluster.Processes.ConnectAsync(new ClientOptions { LogToDriver = false }).WithTimeout())
        {
            await quiet.Remote(() => LogProcessJobs.Say("quiet " + marker), Isolated).WithTimeout();
        }

        await Eventually.HoldsAsync(() => cluster.Log("w1").Contains("quiet " + marker, StringComparison.Ordinal), TimeSpan.FromSeconds(10), "w1.log holds its worker process's output", () => cluster.Log("w1"));
        Assert.Contains("granary: worker silo w1 listening on", cluster.Log("w1"), StringComparison.Ordinal);
        Assert.Contains("granary: head silo head listening on", cluster.Log("head"), StringComparison.Ordinal);
        Assert.Contains($"Job {Client.JobId} connected", cluster.Log("head"), StringComparison.Ordinal);
        Assert.DoesNotContain(lines, l => l.Text.Contains("quiet", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Environment_and_secrets_reach_tasks_in_a_silo_and_in_a_worker_process_and_secrets_stay_out_of_logs_and_status()
    {
        var secret = "s3cret-" + Guid.NewGuid().ToString("N");
        var options = new ClientOptions();
        options.Environment["MLFLOW_TRACKING_URI"] = "http://mlflow:5000";
        options.Secrets["MLFLOW_TRACKING_TOKEN"] = secret;
        await using var client = await cluster.Processes.ConnectAsync(options).WithTimeout();

        var inSilo = await client.Remote(() => LogProcessJobs.ReadEnvironment("MLFLOW_TRACKING_URI", "MLFLOW_TRACKING_TOKEN")).WithTimeout();
        Assert.Equal(["http://mlflow:5000", secret, "-", "-"], inSilo);
        var isolated = await client.Remote(() => LogProcessJobs.ReadEnvironment("MLFLOW_TRACKING_URI", "MLFLOW_TRACKING_TOKEN"), Isolated).WithTimeout();
        Assert.Equal(["http://mlflow:5000", secret, "http://mlflow:5000", secret], isolated);

        var status = await cluster.Processes.RunCliAsync("status");
        var json = await cluster.Processes.RunCliAsync("status", "--json");
        Assert.Equal(0, status.ExitCode);
        Assert.Equal(0, json.ExitCode);
        Assert.DoesNotContain(secret, status.ToString() + json, StringComparison.Ordinal);
        Assert.DoesNotContain(secret, cluster.Processes.AllOutput(), StringComparison.Ordinal);
        Assert.DoesNotContain(secret, cluster.Log("head") + cluster.Log("w1"), StringComparison.Ordinal);
    }

    /// <summary>The shared cluster: a head and "w1" with 2 CPUs, both writing their logs to one folder.</summary>
    public sealed class Cluster : IAsyncLifetime
    {
        public ProcessCluster Processes { get; } = new();

        public string LogDirectory => Path.Combine(Processes.RunDirectory, "logs");

        /// <summary>What the silo has written to its log file so far.</summary>
        public string Log(string nodeId)
        {
            using var stream = new FileStream(Path.Combine(LogDirectory, nodeId + ".log"), FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var reader = new StreamReader(stream);
            return reader.ReadToEnd();
        }

        public async Task InitializeAsync()
        {
            await Processes.StartHeadAsync("--node-timeout", "10", "--log-dir", LogDirectory);
            await Processes.StartWorkerAsync("w1", "--cpus", "2", "--log-dir", LogDirectory).WithTimeout();
        }

        public async Task DisposeAsync() => await Processes.DisposeAsync();
    }
}
