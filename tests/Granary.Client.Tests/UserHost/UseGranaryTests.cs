using System.Net;
using Granary.Silo;
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
        await using var silo = await UserSilo.StartAsync("user", withGranary: true);
        await using var client = await GranaryClient.ConnectAsync($"127.0.0.1:{silo.GatewayPort}", new ClientOptions { ClusterId = "user-cluster" }).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(49, await client.Remote(() => TestJobs.Square(7)).GetAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30)));
        var greeting = await client.ClusterClient.GetGrain<IGreeterGrain>("ada").Greet("granary").WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal("ada greets granary", greeting);
    }

    [Fact]
    public async Task A_users_own_Orleans_client_carries_Granary_beside_its_grain_calls_and_stays_connected_after()
    {
        await using var silo = await UserSilo.StartAsync("user", withGranary: true);
        using var clientHost = await silo.StartClientAsync(withGranary: true);
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

    [Fact]
    public async Task An_Orleans_client_built_without_UseGranaryClient_is_refused_naming_the_fix()
    {
        await using var silo = await UserSilo.StartAsync("plain", withGranary: false);
        using var clientHost = await silo.StartClientAsync(withGranary: false);
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => GranaryClient.ConnectAsync(clientHost.Services.GetRequiredService<IClusterClient>())).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Contains("UseGranaryClient()", error.Message);
        await clientHost.StopAsync().WaitAsync(TimeSpan.FromSeconds(30));
    }

    /// <summary>A user's own Orleans silo on loopback ("NAME-service" / "NAME-cluster"), with or without Granary; disposing stops it.</summary>
    private sealed class UserSilo(IHost host, string name, int gatewayPort) : IAsyncDisposable
    {
        public int GatewayPort { get; } = gatewayPort;

        public static async Task<UserSilo> StartAsync(string name, bool withGranary)
        {
            // Free ports can be taken by another cluster of this run between the choice and the bind; a fresh
            // pair is tried then, as a user would pick other ports.
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    return await StartOnFreePortsAsync(name, withGranary);
                }
                catch (Exception ex) when (attempt < 4 && SiloHost.IsAddressInUse(ex))
                {
                }
            }
        }

        private static async Task<UserSilo> StartOnFreePortsAsync(string name, bool withGranary)
        {
            // PortPicker never hands one port out twice in this process, as two back-to-back probes could.
            var (siloPort, gatewayPort) = (PortPicker.Pick(IPAddress.Loopback), PortPicker.Pick(IPAddress.Loopback));
            var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
            builder.UseOrleans(silo =>
            {
                silo.UseLocalhostClustering(siloPort, gatewayPort, serviceId: name + "-service", clusterId: name + "-cluster");
                if (withGranary)
                {
                    silo.UseGranary(granary => granary.Cpus = 2);
                }
            });
            var host = builder.Build();
            await host.StartAsync().WaitAsync(TimeSpan.FromSeconds(60));
            return new UserSilo(host, name, gatewayPort);
        }

        /// <summary>The user's own Orleans client of this silo, started; with <c>UseGranaryClient()</c> or without.</summary>
        public async Task<IHost> StartClientAsync(bool withGranary)
        {
            var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
            builder.UseOrleansClient(client =>
            {
                client.UseLocalhostClustering(GatewayPort, serviceId: name + "-service", clusterId: name + "-cluster");
                if (withGranary)
                {
                    client.UseGranaryClient();
                }
            });
            var clientHost = builder.Build();
            await clientHost.StartAsync().WaitAsync(TimeSpan.FromSeconds(30));
            return clientHost;
        }

        public async ValueTask DisposeAsync()
        {
            await host.StopAsync().WaitAsync(TimeSpan.FromSeconds(60));
            host.Dispose();
        }
    }
}
