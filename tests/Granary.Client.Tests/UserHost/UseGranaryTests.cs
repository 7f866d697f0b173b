using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Granary.TestGrains;
using Orleans;
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

    [Fact]
    public async Task A_users_own_Orleans_client_carries_Granary_beside_its_grain_calls_and_stays_connected_after()
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
            var clientBuilder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
            clientBuilder.UseOrleansClient(client => client
                .UseLocalhostClustering(gatewayPort, serviceId: "user-service", clusterId: "user-cluster")
                .UseGranaryClient());
            using var clientHost = clientBuilder.Build();
            await clientHost.StartAsync().WaitAsync(TimeSpan.FromSeconds(30));
            var orleans = clientHost.Services.GetRequiredService<IClusterClient>();

            var granary = await GranaryClient.ConnectAsync(orleans).WaitAsync(TimeSpan.FromSeconds(30));
            await using (granary.DisposeWithin())
            {
                Assert.Same(orleans, granary.ClusterClient);
                Assert.Equal(49, await granary.Remote(() => TestJobs.Square(7)).GetAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30)));
                var big = granary.Put(new int[100_000]);
                Assert.Equal(100_000, (await big.GetAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30))).Length);
            }

            // The job ended; the user's connection did not.
            Assert.Equal("ada greets granary", await orleans.GetGrain<IGreeterGrain>("ada").Greet("granary").WaitAsync(TimeSpan.FromSeconds(30)));
            await clientHost.StopAsync().WaitAsync(TimeSpan.FromSeconds(30));
        }
        finally
        {
            await host.StopAsync().WaitAsync(TimeSpan.FromSeconds(60));
        }
    }

    [Fact]
    public async Task An_Orleans_client_built_without_UseGranaryClient_is_refused_naming_the_fix()
    {
        var (siloPort, gatewayPort) = (FreePort(), FreePort());
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.UseOrleans(silo => silo.UseLocalhostClustering(siloPort, gatewayPort, serviceId: "plain", clusterId: "plain"));
        using var host = builder.Build();
        await host.StartAsync().WaitAsync(TimeSpan.FromSeconds(60));
        try
        {
            var clientBuilder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
            clientBuilder.UseOrleansClient(client => client.UseLocalhostClustering(gatewayPort, serviceId: "plain", clusterId: "plain"));
            using var clientHost = clientBuilder.Build();
            await clientHost.StartAsync().WaitAsync(TimeSpan.FromSeconds(30));
            var error = await Assert.ThrowsAsync<InvalidOperationException>(() => GranaryClient.ConnectAsync(clientHost.Services.GetRequiredService<IClusterClient>())).WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Contains("UseGranaryClient()", error.Message);
            await clientHost.StopAsync().WaitAsync(TimeSpan.FromSeconds(30));
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
