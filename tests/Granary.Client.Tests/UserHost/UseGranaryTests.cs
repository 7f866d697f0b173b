using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Hosting;
using Granary.TestGrains;
using Orleans.Hosting;

namespace Granary.Client.Tests.UserHost;

/// <summary>
/// Granary added to a user's own Orleans host with <c>UseGranary</c>, next to the user's own grain and with
/// the user's choice of clustering: both answer in the same silo.
/// </summary>
public sealed class UseGranaryTests
{
    [Fact]
    public async Task A_user_grain_and_Granary_tasks_run_in_one_silo()
    {
        var (siloPort, gatewayPort) = (FreePort(), FreePort());
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.UseOrleans(silo => silo
            .UseLocalhostClustering(siloPort, gatewayPort, serviceId: "user-service", clusterId: "user-cluster")
            .UseGranary(granary => granary.Cpus = 2));
        using var host = builder.Build();
        await host.StartAsync().WaitAsync(TimeSpan.FromSeconds(60));
        try
        {
            await using var client = await GranaryClient.ConnectAsync($"127.0.0.1:{gatewayPort}", new ClientOptions { ClusterId = "user-cluster" }).WaitAsync(TimeSpan.FromSeconds(30));

            Assert.Equal(49, await client.Remote(() => TestJobs.Square(7)).GetAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30)));
            var greeting = await client.ClusterClient.GetGrain<IGreeterGrain>("ada").Greet("granary").WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Equal("ada greets granary", greeting);
        }
        finally
        {
            await host.StopAsync().WaitAsync(TimeSpan.FromSeconds(60));
        }
    }

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }
}
