using System.Text.Json.Nodes;
using Xunit.Abstractions;

namespace Granary.Silo.Tests;

/// <summary>
/// `granary status` on a real head with two simulated GPUs: after a job type was profiled it lists the profile
/// with its peak, and while a packed task of that type runs, its GPU shows the memory the task reported
/// (measured, from the node's sample) beside what the head reserved for it and the job type on it.
/// </summary>
[Collection(ProcessClusterCollection.Name)]
public sealed class GpuStatusProcessTests(ITestOutputHelper output) : OwnClusterTest(output)
{
    private const long Used = 3 * GpuMemory.GB;

    [Fact]
    public async Task Status_shows_each_profile_with_its_peak_and_each_gpus_measured_and_reserved_memory()
    {
        await Cluster.StartHeadAsync("--cpus", "2", "--gpus", "2");
        var client = await Cluster.ConnectAsync().WithTimeout();
        await using (client.DisposeWithin())
        {
            var options = new RemoteOptions { GpuMemory = GpuMemory.Profiled };

            // The first call of the type runs alone and is measured; its gate is open, so it returns at once.
            var opened = Cluster.NewGate();
            ProcessCluster.Open(opened);
            await client.Remote(() => GpuMemoryJobs.UseUntilOpen(Used, opened), options).WithTimeout();

            // The second is packed by that profile plus the margin, and held while status looks at it.
            var gate = Cluster.NewGate();
            var packed = client.Remote(() => GpuMemoryJobs.UseUntilOpen(Used, gate), options);
            try
            {
                await ProcessCluster.WaitStartedAsync(gate, 1);
                JsonNode json = null!;
                JsonNode? busy = null;
                await Eventually.HoldsAsync(
                    async () =>
                    {
                        var status = await Cluster.RunCliAsync("status", "--json");
                        Assert.True(status.ExitCode == 0, status.ToString());
                        json = JsonNode.Parse(status.Stdout)!;
                        busy = json["nodes"]!.AsArray().Single(n => (string?)n!["id"] == "head")!["gpus"]!.AsArray()
                            .FirstOrDefault(g => (long)g!["reservedBytes"]! > 0 && (long?)g["measuredBytes"] == Used);
                        return busy is not null;
                    },
                    TimeSpan.FromSeconds(15),
                    "status shows the packed task's GPU with its measured and reserved memory",
                    () => json?.ToJsonString() ?? "nothing");

                var jobType = Assert.Single(busy!["jobTypes"]!.AsArray())!.GetValue<string>();
                Assert.EndsWith(".UseUntilOpen(Int64, String)", jobType);
                // The profile plus the 10 % margin, as the head books it: in shares of 1e-4 of the device, rounded up.
                var reserved = (long)busy["reservedBytes"]!;
                var device = (long)busy["memoryBytes"]!;
                Assert.InRange(reserved, (long)(Used * 1.1), (long)(Used * 1.1) + (device / 10_000) + 1);
                Assert.Equal(reserved / (double)device, (double)busy["reservedShare"]!, 3);

                // The other GPU is idle: nothing measured, nothing reserved.
                var idle = json["nodes"]!.AsArray().Single(n => (string?)n!["id"] == "head")!["gpus"]!.AsArray().Single(g => g != busy)!;
                Assert.Equal(0, (long)idle["measuredBytes"]!);
                Assert.Equal(0, (long)idle["reservedBytes"]!);
                Assert.Empty(idle["jobTypes"]!.AsArray());

                var profile = Assert.Single(json["gpuProfiles"]!.AsArray())!;
                Assert.Equal(jobType, (string?)profile["jobType"]);
                Assert.Equal("known", (string?)profile["state"]);
                Assert.Equal(Used, (long)profile["peakBytes"]!);
                Assert.True((int)profile["runs"]! >= 1, profile.ToJsonString());
                Assert.Equal(0, (int)profile["failures"]!);
                Assert.Equal(0, (int)profile["outOfMemory"]!);
                Assert.Equal(0, (int)profile["outgrown"]!);
                Assert.Equal(string.Empty, (string?)profile["lastError"]);

                // The text form: the GPU line with both figures and the job type, and the profile's row.
                var text = await Cluster.RunCliAsync("status");
                Assert.True(text.ExitCode == 0, text.ToString());
                var index = (int)busy["index"]!;
                var line = Assert.Single(text.Stdout.Split('\n'), l => l.TrimStart().StartsWith($"GPU {index}:", StringComparison.Ordinal));
                Assert.Contains("measured 3 GB, reserved 3.3 GB (19%) of 17.18 GB: " + jobType, line);
                Assert.Contains("GPU profiles: 1", text.Stdout);
                var row = Assert.Single(text.Stdout.Split('\n'), l => l.TrimEnd().EndsWith("  " + jobType, StringComparison.Ordinal) && l.TrimStart().StartsWith("known", StringComparison.Ordinal));
                Assert.Contains(" 3 GB ", row);
            }
            finally
            {
                ProcessCluster.Open(gate);
            }

            Assert.StartsWith("head/", await packed.WithTimeout());
        }
    }
}
