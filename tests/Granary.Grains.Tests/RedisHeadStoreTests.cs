using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Granary.Grains.Head.Persistence;
using Granary.Runtime.Wire;
using StackExchange.Redis;

namespace Granary.Grains.Tests;

/// <summary>
/// The head's tables written to and read back from a real redis-server. Every test starts from an empty
/// server: the store's keys are fixed (granary:*), and tests of one class share the fixture's server.
/// </summary>
public sealed class RedisHeadStoreTests(RedisServerFixture redis) : IClassFixture<RedisServerFixture>, IAsyncLifetime
{
    /// <summary>Upper bound for any one store call, so a regression fails a test instead of hanging the run.</summary>
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(15);

    public async Task InitializeAsync()
    {
        await using var admin = await ConnectionMultiplexer.ConnectAsync($"{redis.Address},allowAdmin=true");
        await admin.GetServer(admin.GetEndPoints().Single()).FlushAllDatabasesAsync();
    }

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task Tables_written_by_one_head_are_read_back_by_the_next()
    {
        await using (var store = await ConnectAsync())
        {
            await store.SaveClusterIdAsync("cluster-1", default).WaitAsync(Bound);
            await store.SaveNodeAsync(new NodeInfo { NodeId = "n1", Address = "127.0.0.1:1" }, default).WaitAsync(Bound);
            await store.SaveNodeAsync(new NodeInfo { NodeId = "n1", Address = "127.0.0.1:2", Alive = true }, default).WaitAsync(Bound);
            await store.SaveActorAsync(new PersistedActor { Info = new ActorInfo { ActorId = "a1", Name = "svc-ключ-🔑" } }, default).WaitAsync(Bound);
            await store.SaveActorAsync(new PersistedActor { Info = new ActorInfo { ActorId = "a2" } }, default).WaitAsync(Bound);
            await store.RemoveActorAsync("a2", default).WaitAsync(Bound);
            await store.SaveJobAsync(new JobManifest { JobId = "j1", Assemblies = { new AssemblyRef { Name = "App", Hash = "h" } } }, default).WaitAsync(Bound);
            await store.SaveBlobAsync("h", [1, 2, 3], default).WaitAsync(Bound);
            await store.SaveGroupAsync(Group("g1"), default).WaitAsync(Bound);
            await store.SaveGroupAsync(Group("g2"), default).WaitAsync(Bound);
            await store.RemoveGroupAsync("g2", default).WaitAsync(Bound);
        }

        await using var next = await ConnectAsync();
        var snapshot = await next.LoadAsync(default).WaitAsync(Bound);
        Assert.Equal("cluster-1", snapshot.ClusterId);
        var node = Assert.Single(snapshot.Nodes);
        Assert.Equal(("127.0.0.1:2", true), (node.Address, node.Alive));
        Assert.Equal("svc-ключ-🔑", Assert.Single(snapshot.Actors).Info.Name);
        Assert.Equal("App", Assert.Single(Assert.Single(snapshot.Jobs).Assemblies).Name);
        Assert.Equal(new byte[] { 1, 2, 3 }, Assert.Single(snapshot.Blobs).Value);
        Assert.Equal("g1", Assert.Single(snapshot.Groups).Spec.GroupId);
    }

    [Fact]
    public async Task An_empty_server_loads_as_an_empty_snapshot()
    {
        await using var store = await ConnectAsync();
        var snapshot = await store.LoadAsync(default).WaitAsync(Bound);
        Assert.Null(snapshot.ClusterId);
        Assert.Empty(snapshot.Nodes);
        Assert.Empty(snapshot.Actors);
        Assert.Empty(snapshot.Jobs);
        Assert.Empty(snapshot.Blobs);
        Assert.Empty(snapshot.Groups);
    }

    [Fact]
    public async Task The_layout_is_a_hash_per_table_with_base64_protobuf_and_a_key_per_blob()
    {
        // Heads of the previous release wrote this layout; a restarted head must still read it, and tools may too.
        await using (var store = await ConnectAsync())
        {
            await store.SaveClusterIdAsync("c", default).WaitAsync(Bound);
            await store.SaveJobAsync(new JobManifest { JobId = "j1" }, default).WaitAsync(Bound);
            await store.SaveBlobAsync("abc", [9, 8], default).WaitAsync(Bound);
        }

        await using var raw = await ConnectionMultiplexer.ConnectAsync(redis.Address);
        var db = raw.GetDatabase();
        Assert.Equal("c", (string?)await db.StringGetAsync("granary:cluster"));
        var job = JobManifest.Parser.ParseFrom(Convert.FromBase64String((string)(await db.HashGetAsync("granary:jobs", "j1"))!));
        Assert.Equal("j1", job.JobId);
        Assert.Equal(new byte[] { 9, 8 }, (byte[]?)await db.StringGetAsync("granary:blob:abc"));
        Assert.Equal("2", (string?)await db.HashGetAsync("granary:blobs", "abc"));
    }

    [Fact]
    public async Task Binary_blobs_of_every_byte_value_empty_and_five_megabytes_round_trip_unchanged()
    {
        var everyByte = Enumerable.Range(0, 256).Select(i => (byte)i).Concat("\r\n$-1\r\n*0\r\n"u8.ToArray()).ToArray();
        var large = new byte[5 * 1024 * 1024];
        new Random(42).NextBytes(large);
        await using (var store = await ConnectAsync())
        {
            await store.SaveBlobAsync("every", everyByte, default).WaitAsync(Bound);
            await store.SaveBlobAsync("empty", [], default).WaitAsync(Bound);
            await store.SaveBlobAsync("large", large, default).WaitAsync(Bound);
        }

        await using var next = await ConnectAsync();
        var blobs = (await next.LoadAsync(default).WaitAsync(Bound)).Blobs;
        Assert.Equal(everyByte, blobs["every"]);
        Assert.Equal(Array.Empty<byte>(), blobs["empty"]);
        Assert.True(large.AsSpan().SequenceEqual(blobs["large"]), "the 5 MB read back differ from those written");
    }

    [Fact]
    public async Task Concurrent_writes_each_land_in_their_own_field()
    {
        await using var store = await ConnectAsync();
        await Task.WhenAll(Enumerable.Range(0, 200).Select(i =>
            store.SaveNodeAsync(new NodeInfo { NodeId = $"n{i}", Address = $"10.0.0.{i % 250}:{1000 + i}" }, default))).WaitAsync(Bound);

        var nodes = (await store.LoadAsync(default).WaitAsync(Bound)).Nodes;
        Assert.Equal(200, nodes.Count);
        Assert.All(nodes, n => Assert.Equal($"{1000 + int.Parse(n.NodeId[1..])}", n.Address.Split(':')[1]));
    }

    [Fact]
    public async Task A_write_after_redis_restarts_succeeds_on_a_new_connection()
    {
        await using var store = await ConnectAsync();
        await store.SaveClusterIdAsync("before", default).WaitAsync(Bound);

        await redis.RestartAsync();

        // The first write after the restart must not fail: the client reconnects on its own and the write waits
        // for that. Its own timeout (5 s by default) is well inside the bound.
        var clock = Stopwatch.StartNew();
        await store.SaveNodeAsync(new NodeInfo { NodeId = "after", Address = "127.0.0.1:3" }, default).WaitAsync(Bound);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"the write after the restart took {clock.Elapsed.TotalSeconds:0.0} s");

        // The restarted server is empty (nothing is persisted), which also proves the write went to it.
        var snapshot = await store.LoadAsync(default).WaitAsync(Bound);
        Assert.Null(snapshot.ClusterId);
        Assert.Equal("after", Assert.Single(snapshot.Nodes).NodeId);
    }

    [Fact]
    public async Task An_unreachable_redis_fails_within_ten_seconds_in_one_line_naming_the_address_and_the_fix()
    {
        var address = UnusedLoopbackAddress();
        var clock = Stopwatch.StartNew();

        var error = await Assert.ThrowsAsync<GranaryException>(() => RedisHeadStore.ConnectAsync(address, default).WaitAsync(Bound));

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"giving up took {clock.Elapsed.TotalSeconds:0.0} s");
        Assert.Single(error.Message.Split('\n'));
        Assert.Equal($"Cannot reach Redis at {address}: Connection refused. Start redis-server there or drop --redis.", error.Message);
        // The library's advice to use abortConnect=false would start a head that cannot persist its tables.
        Assert.DoesNotContain("abortConnect", error.Message);
    }

    [Fact]
    public async Task A_password_in_the_configuration_string_is_used_and_a_missing_one_is_named_without_echoing_it()
    {
        const string password = "s3cret-granary";
        await using var admin = await ConnectionMultiplexer.ConnectAsync($"{redis.Address},allowAdmin=true");
        await admin.GetDatabase().ExecuteAsync("CONFIG", "SET", "requirepass", password);
        try
        {
            await using (var store = await ConnectAsync($"{redis.Address},password={password}"))
            {
                await store.SaveClusterIdAsync("locked", default).WaitAsync(Bound);
                Assert.Equal("locked", (await store.LoadAsync(default).WaitAsync(Bound)).ClusterId);
            }

            var missing = await Assert.ThrowsAsync<GranaryException>(() => RedisHeadStore.ConnectAsync(redis.Address, default).WaitAsync(Bound));
            Assert.StartsWith($"Cannot reach Redis at {redis.Address}: it refused the credentials", missing.Message);
            Assert.Contains("password=", missing.Message);

            var wrong = await Assert.ThrowsAsync<GranaryException>(() => RedisHeadStore.ConnectAsync($"{redis.Address},password=wrong-{password}", default).WaitAsync(Bound));
            Assert.DoesNotContain(password, wrong.Message);
        }
        finally
        {
            // A fresh connection with the password, in case the first one was dropped and could not come back.
            await using var unlock = await ConnectionMultiplexer.ConnectAsync($"{redis.Address},allowAdmin=true,password={password}");
            await unlock.GetDatabase().ExecuteAsync("CONFIG", "SET", "requirepass", "");
        }
    }

    [Fact]
    public async Task A_server_that_accepts_but_never_answers_is_given_up_on_within_ten_seconds()
    {
        using var silent = SilentListener();
        var address = $"127.0.0.1:{((IPEndPoint)silent.LocalEndpoint).Port}";
        var clock = Stopwatch.StartNew();

        var error = await Assert.ThrowsAsync<GranaryException>(() => RedisHeadStore.ConnectAsync(address, default).WaitAsync(Bound));

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"giving up took {clock.Elapsed.TotalSeconds:0.0} s");
        Assert.StartsWith($"Cannot reach Redis at {address}: ", error.Message);
        Assert.Contains(": no answer, timed out after 8 s. Start redis-server there or drop --redis.", error.Message);
        Assert.Contains("--redis", error.Message);
    }

    [Fact]
    public async Task A_database_number_in_the_configuration_string_keeps_the_tables_there()
    {
        await using (var store = await ConnectAsync($"{redis.Address},defaultDatabase=3"))
        {
            await store.SaveClusterIdAsync("in-db-3", default).WaitAsync(Bound);
        }

        await using var raw = await ConnectionMultiplexer.ConnectAsync(redis.Address);
        Assert.Equal("in-db-3", (string?)await raw.GetDatabase(3).StringGetAsync("granary:cluster"));
        Assert.False(await raw.GetDatabase(0).KeyExistsAsync("granary:cluster"));
    }

    [Fact]
    public async Task A_caller_that_stops_waiting_for_the_connection_gets_control_back_at_once()
    {
        using var silent = SilentListener();
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        var clock = Stopwatch.StartNew();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            RedisHeadStore.ConnectAsync($"127.0.0.1:{((IPEndPoint)silent.LocalEndpoint).Port}", cancel.Token).WaitAsync(Bound));

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"cancelling took {clock.Elapsed.TotalSeconds:0.0} s");
    }

    [Theory]
    [InlineData("127.0.0.1:6379", "127.0.0.1:6379")]
    [InlineData("localhost:6400", "localhost:6400")]
    [InlineData("redis.internal", "redis.internal:6379")]
    [InlineData("redis.internal:6380,password=p,user=u,ssl=true,abortConnect=false", "redis.internal:6380")]
    public void Configuration_takes_host_port_or_a_full_string_and_always_aborts_on_connect_failure(string configuration, string endpoints)
    {
        var options = RedisConfiguration.Parse(configuration);
        Assert.Equal(endpoints, RedisConfiguration.Describe(options));
        Assert.True(options.AbortOnConnectFail);
        Assert.Equal((8000, 1), (options.ConnectTimeout, options.ConnectRetry));
    }

    [Fact]
    public void The_users_own_connect_timeout_wins_over_granarys()
    {
        var options = RedisConfiguration.Parse("127.0.0.1:6379,connectTimeout=1500,connectRetry=3");
        Assert.Equal((1500, 3), (options.ConnectTimeout, options.ConnectRetry));
    }

    [Theory]
    [InlineData("127.0.0.1:abc")]
    [InlineData("password=hunter2")]
    [InlineData("127.0.0.1:6379,colour=blue")]
    [InlineData("")]
    public void A_configuration_it_cannot_use_is_rejected_naming_the_flag(string configuration)
    {
        var error = Assert.Throws<ArgumentException>(() => RedisConfiguration.Parse(configuration));
        Assert.StartsWith("--redis expects host:port or a StackExchange.Redis configuration string", error.Message);
        Assert.DoesNotContain("hunter2", error.Message);
    }

    private Task<RedisHeadStore> ConnectAsync(string? configuration = null) =>
        RedisHeadStore.ConnectAsync(configuration ?? redis.Address, default).WaitAsync(Bound);

    private static PersistedGroup Group(string id) =>
        new() { Spec = new CreatePlacementGroup { GroupId = id }, Info = new PlacementGroupInfo { GroupId = id } };

    /// <summary>Listens but never accepts: the kernel completes the TCP handshake, then nothing ever answers.</summary>
    private static TcpListener SilentListener()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return listener;
    }

    /// <summary>A loopback port bound by nobody: held just long enough to learn a free number.</summary>
    private static string UnusedLoopbackAddress()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return $"127.0.0.1:{((IPEndPoint)probe.LocalEndPoint!).Port}";
    }
}
