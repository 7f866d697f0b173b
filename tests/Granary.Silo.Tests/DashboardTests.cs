using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Granary.Silo.Tests;

/// <summary>
/// The head's dashboard in a real browser: Debian's headless chromium, driven by Playwright, opens the page of a
/// live embedded cluster (a head and two workers over loopback), sees its nodes, a running task and a named actor,
/// and sees a killed worker marked dead without reloading. With GRANARY_WRITE_DASHBOARD_PNG=1 it also writes
/// the screenshot the README shows (docs/dashboard.png); otherwise the screenshot goes to the temp folder only,
/// so a test run leaves the repository as it was.
/// </summary>
public sealed class DashboardTests
{
    private const string Chromium = "/usr/bin/chromium";

    // Every wait on the page is bounded; a node is declared dead within about the 2 s node timeout, and the page
    // asks once a second, so 30 s is far above what the dead mark takes on a loaded machine.
    private const float PageWait = 30_000;

    [Fact]
    public async Task The_page_shows_the_live_clusters_nodes_work_and_actors_and_marks_a_killed_worker_dead()
    {
        Assert.True(File.Exists(Chromium), $"{Chromium} is missing: `apt-get install -y chromium` (.ci/run installs it when missing)");
        var cluster = await LocalCluster.StartSilosAsync(new LocalClusterOptions
        {
            Silos = 2,
            CpusPerSilo = 2,
            GpusPerSilo = 2,
            GpuType = "H100",
            GpuMemoryBytes = 80L << 30,
            NodeDeadTimeout = TimeSpan.FromSeconds(2),
            DashboardPort = 0,
        }).WithTimeout();
        await using var stopCluster = cluster.DisposeWithin(TimeSpan.FromSeconds(60));
        var gate = Directory.CreateTempSubdirectory("granary-dashboard-").FullName;
        try
        {
            var client = await GranaryClient.ConnectAsync(cluster.HeadAddress).WithTimeout();
            await using var stopClient = client.DisposeWithin();
            await client.CreateActorAsync(() => new PlacedActor(), new ActorOptions { Name = "dashboard-actor" }).WithTimeout();
            var held = client.Remote(() => ClusterJobs.HoldUntilOpen(gate, 1), new RemoteOptions { Gpus = 1 });
            await Eventually.HoldsAsync(() => Directory.EnumerateFiles(gate, "started-1@*").Any(), Bounded.Default, "the held task starts");
            var busy = Path.GetFileName(Directory.EnumerateFiles(gate, "started-1@*").Single())["started-1@".Length..];
            var victim = cluster.Silos.Skip(1).Single(s => s.NodeId != busy);

            using var playwright = await Playwright.CreateAsync().WithTimeout();
            await using var browser = await playwright.Chromium.LaunchAsync(new() { ExecutablePath = Chromium, Headless = true, Args = ["--no-sandbox"], Timeout = PageWait }).WithTimeout();
            var page = await browser.NewPageAsync(new() { ViewportSize = new() { Width = 1500, Height = 950 } }).WithTimeout();
            await page.GotoAsync(cluster.DashboardUrl!, new() { Timeout = PageWait }).WithTimeout();

            foreach (var silo in cluster.Silos)
            {
                await Expect(page.Locator($"#nodes tr[data-node='{silo.NodeId}']")).ToHaveAttributeAsync("data-state", "alive", new() { Timeout = PageWait });
            }

            await Expect(page.Locator("#nodes tr[data-node]")).ToHaveCountAsync(3, new() { Timeout = PageWait });
            await Expect(page.Locator($"#nodes tr[data-node='{cluster.Silos[0].NodeId}']")).ToContainTextAsync("(head)", new() { Timeout = PageWait });
            await Expect(page.Locator("#tasks-running")).ToHaveTextAsync("1", new() { Timeout = PageWait });
            await Expect(page.Locator($"#nodes tr[data-node='{busy}'] .node-tasks")).ToHaveTextAsync("1 running, 0 queued", new() { Timeout = PageWait });
            await Expect(page.Locator("#nodes")).ToContainTextAsync("H100 (simulated)", new() { Timeout = PageWait });
            await Expect(page.Locator("#actors tr[data-state='alive']", new() { HasText = "dashboard-actor" })).ToContainTextAsync("PlacedActor", new() { Timeout = PageWait });
            await Expect(page.Locator("#jobs tr[data-job]")).ToHaveCountAsync(1, new() { Timeout = PageWait });

            // The page is not reloaded from here on: what it shows next comes from its own polling.
            await victim.KillAsync().WithTimeout();
            var dead = page.Locator($"#nodes tr[data-node='{victim.NodeId}']");
            await Expect(dead).ToHaveAttributeAsync("data-state", "dead", new() { Timeout = PageWait });
            await Expect(dead.Locator(".state")).ToHaveTextAsync("dead", new() { Timeout = PageWait });
            await Expect(page.Locator("#dead")).ToHaveTextAsync("1", new() { Timeout = PageWait });
            await Expect(page.Locator($"#nodes tr[data-node='{busy}']")).ToHaveAttributeAsync("data-state", "alive", new() { Timeout = PageWait });

            await page.ScreenshotAsync(new() { Path = Path.Combine(gate, "dashboard.png"), FullPage = true }).WithTimeout();
            if (Environment.GetEnvironmentVariable("GRANARY_WRITE_DASHBOARD_PNG") == "1")
            {
                File.Copy(Path.Combine(gate, "dashboard.png"), Path.Combine(RepoFiles.Root, "docs", "dashboard.png"), overwrite: true);
            }

            File.WriteAllText(Path.Combine(gate, "open"), string.Empty);
            Assert.Equal(busy, await held.WithTimeout());
        }
        finally
        {
            File.WriteAllText(Path.Combine(gate, "open"), string.Empty);
            Directory.Delete(gate, recursive: true);
        }
    }
}
