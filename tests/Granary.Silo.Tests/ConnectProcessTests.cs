using System.Text.Json.Nodes;
using Xunit.Abstractions;

namespace Granary.Silo.Tests;

/// <summary>
/// `granary connect` (Runhouse's named clusters) against a real head: a name is saved only once a head
/// answers at its address, `granary status --address NAME` and `GranaryClient.ConnectAsync("NAME")` use it,
/// and bad names, unknown names and unreachable heads are refused naming the fix.
/// </summary>
[Collection(ProcessClusterCollection.Name)]
public sealed class ConnectProcessTests(ITestOutputHelper output) : OwnClusterTest(output), IDisposable
{
    private readonly string _config = Path.Combine(Path.GetTempPath(), "granary-config-" + Guid.NewGuid().ToString("N")[..12]);

    [Fact]
    public async Task A_saved_name_stands_for_its_head_in_the_cli_and_in_ConnectAsync()
    {
        Cluster.Environment["GRANARY_CONFIG_DIR"] = _config;
        await Cluster.StartHeadAsync("--cpus", "1");

        var saved = await Cluster.RunCliAsync("connect", "lab", "--address", Cluster.HeadAddress);
        Assert.True(saved.ExitCode == 0, saved.ToString());
        Assert.Contains($"saved lab = {Cluster.HeadAddress} (1 live nodes)", saved.Stdout);

        var checkedAgain = await Cluster.RunCliAsync("connect", "lab");
        Assert.True(checkedAgain.ExitCode == 0, checkedAgain.ToString());
        var listed = await Cluster.RunCliAsync("connect", "--list");
        Assert.StartsWith($"lab\t{Cluster.HeadAddress}\t", listed.Stdout);

        var status = await Cluster.RunCliAsync("status", "--address", "lab", "--json");
        Assert.True(status.ExitCode == 0, status.ToString());
        Assert.Equal(Cluster.HeadAddress, (string?)JsonNode.Parse(status.Stdout)!["head"]);

        // The library reads the same folder.
        var previous = Environment.GetEnvironmentVariable("GRANARY_CONFIG_DIR");
        Environment.SetEnvironmentVariable("GRANARY_CONFIG_DIR", _config);
        try
        {
            await using var client = await GranaryClient.ConnectAsync("lab").WithTimeout();
            Assert.Contains(await client.GetNodesAsync(), n => n.IsHead);
        }
        finally
        {
            Environment.SetEnvironmentVariable("GRANARY_CONFIG_DIR", previous);
        }

        var forgot = await Cluster.RunCliAsync("connect", "lab", "--forget");
        Assert.True(forgot.ExitCode == 0, forgot.ToString());
        var gone = await Cluster.RunCliAsync("connect", "lab");
        Assert.Equal(2, gone.ExitCode);
        Assert.Contains("No cluster is saved as 'lab'", gone.Stderr);
        Assert.Contains("granary connect lab --address host:port", gone.Stderr);
    }

    [Fact]
    public async Task An_unreachable_head_or_a_bad_name_saves_nothing()
    {
        Cluster.Environment["GRANARY_CONFIG_DIR"] = _config;
        var nobody = $"127.0.0.1:{PortPicker.Pick(System.Net.IPAddress.Loopback)}";
        var unreachable = await Cluster.RunCliAsync("connect", "lab", "--address", nobody);
        Assert.Equal(1, unreachable.ExitCode);
        Assert.Contains(nobody, unreachable.Stderr);
        Assert.False(File.Exists(Path.Combine(_config, "clusters", "lab.json")));

        var badName = await Cluster.RunCliAsync("connect", "la:b", "--address", nobody);
        Assert.Equal(2, badName.ExitCode);
        Assert.Contains("cannot name a saved cluster", badName.Stderr);

        // Saved without a check, for a head that is not up yet.
        var unchecked_ = await Cluster.RunCliAsync("connect", "later", "--address", nobody, "--no-check");
        Assert.True(unchecked_.ExitCode == 0, unchecked_.ToString());
        Assert.Contains("(not checked)", unchecked_.Stdout);
    }

    public void Dispose()
    {
        if (Directory.Exists(_config))
        {
            Directory.Delete(_config, recursive: true);
        }
    }
}
