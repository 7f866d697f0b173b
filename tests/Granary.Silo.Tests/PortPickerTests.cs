using System.Net;

namespace Granary.Silo.Tests;

/// <summary>
/// Silos not given ports choose free ones. Embedded clusters starting at the same moment in one process
/// (the test run does this) must not be handed the same port: the kernel returns recently freed ports
/// again, and two silos then race for one bind (CI saw a whole test class fail on it).
/// </summary>
public sealed class PortPickerTests
{
    [Fact]
    public void Ports_chosen_in_one_process_are_never_handed_out_twice()
    {
        var seen = new HashSet<int>();
        for (var i = 0; i < 1000; i++)
        {
            var port = PortPicker.Pick(IPAddress.Loopback);
            Assert.True(seen.Add(port), $"port {port} was handed out twice (pick {i})");
        }
    }

    [Fact]
    public async Task Many_embedded_clusters_starting_together_all_start()
    {
        var starts = Enumerable.Range(0, 4)
            .Select(_ => LocalCluster.StartSilosAsync(new LocalClusterOptions { Silos = 1, CpusPerSilo = 1 }))
            .ToArray();
        try
        {
            var clusters = await Task.WhenAll(starts).WaitAsync(TimeSpan.FromSeconds(120));
            var ports = clusters.SelectMany(c => c.Silos).Select(s => s.Address).ToList();
            Assert.Equal(ports.Count, ports.Distinct().Count());
        }
        finally
        {
            // Those that started are stopped even when another failed.
            foreach (var start in starts.Where(s => s.IsCompletedSuccessfully))
            {
                await (await start).DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(60));
            }
        }
    }
}
