using Granary.Grains.Head.Persistence;
using Granary.Runtime.Wire;
using StackExchange.Redis;

namespace Granary.Grains.Tests;

/// <summary>
/// The head's store and Orleans' membership over TLS to a real redis-server whose certificate a private CA
/// issued: trusted through the sslCa element of --redis, refused without it, and a bad sslCa named at once.
/// </summary>
public sealed class RedisTlsTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task The_head_store_and_membership_reach_a_TLS_server_through_its_private_CA()
    {
        await using var server = await RedisTlsServer.StartAsync();
        var configuration = $"127.0.0.1:{server.Port},ssl=true,sslHost=localhost,sslCa={server.CaPath}";

        await using (var store = await RedisHeadStore.ConnectAsync(configuration, default).WaitAsync(Bound))
        {
            await store.SaveClusterIdAsync("tls-cluster", default).WaitAsync(Bound);
            await store.SaveNodeAsync(new NodeInfo { NodeId = "n1", Address = "127.0.0.1:1" }, default).WaitAsync(Bound);
        }

        await using (var again = await RedisHeadStore.ConnectAsync(configuration, default).WaitAsync(Bound))
        {
            var snapshot = await again.LoadAsync(default).WaitAsync(Bound);
            Assert.Equal("tls-cluster", snapshot.ClusterId);
            Assert.Single(snapshot.Nodes);
        }

        // What every silo's Orleans membership is given.
        await using var membership = await ConnectionMultiplexer.ConnectAsync(RedisConfiguration.ForMembership(configuration)).WaitAsync(Bound);
        await membership.GetDatabase().PingAsync().WaitAsync(Bound);
    }

    [Fact]
    public async Task Without_the_CA_the_servers_certificate_is_refused_and_a_bad_CA_path_is_named()
    {
        await using var server = await RedisTlsServer.StartAsync();
        var untrusted = $"127.0.0.1:{server.Port},ssl=true,sslHost=localhost,connectTimeout=2000";
        await Assert.ThrowsAsync<GranaryException>(() => RedisHeadStore.ConnectAsync(untrusted, default).WaitAsync(Bound));

        var missing = Assert.Throws<ArgumentException>(() => RedisConfiguration.Parse($"127.0.0.1:{server.Port},ssl=true,sslCa=/nowhere/ca.pem"));
        Assert.Contains("sslCa=", missing.Message);
        Assert.Contains("does not exist", missing.Message);
        var plain = Assert.Throws<ArgumentException>(() => RedisConfiguration.Parse($"127.0.0.1:{server.Port},sslCa={server.CaPath}"));
        Assert.Contains("ssl=true", plain.Message);
    }
}
