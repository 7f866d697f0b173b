using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Granary.Grains.Head.Persistence;

namespace Granary.Grains.Tests;

public sealed class RespClientTests(RedisServerFixture redis) : IClassFixture<RedisServerFixture>
{
    [Fact]
    public async Task Ping_answers_pong()
    {
        await using var client = await RespClient.ConnectAsync(redis.Address);
        Assert.Equal("PONG", await client.PingAsync());
    }

    [Fact]
    public async Task Strings_round_trip_including_unicode_empty_and_crlf()
    {
        await using var client = await RespClient.ConnectAsync(redis.Address);
        var key = $"ключ-🔑-{Guid.NewGuid():N}";
        foreach (var value in new[] { "héllo wörld — 日本語 🎉", "", "line one\r\nline two\r\n", "plain" })
        {
            await client.SetAsync(key, value);
            Assert.Equal(value, await client.GetAsync(key));
        }

        Assert.Equal(1, await client.DelAsync(key));
        Assert.Null(await client.GetAsync(key));
    }

    [Fact]
    public async Task Five_megabytes_of_random_bytes_round_trip_unchanged()
    {
        await using var client = await RespClient.ConnectAsync(redis.Address);
        var key = Key();
        var value = new byte[5 * 1024 * 1024];
        new Random(42).NextBytes(value);

        await client.SetBytesAsync(key, value);
        var back = await client.GetBytesAsync(key);

        Assert.NotNull(back);
        Assert.True(value.AsSpan().SequenceEqual(back), "the bytes read back differ from those written");
        Assert.Equal("PONG", await client.PingAsync());
    }

    [Fact]
    public async Task Every_byte_value_survives_a_binary_round_trip()
    {
        await using var client = await RespClient.ConnectAsync(redis.Address);
        var key = Key();
        var value = Enumerable.Range(0, 256).Select(i => (byte)i).Concat("\r\n$-1\r\n"u8.ToArray()).ToArray();

        await client.SetBytesAsync(key, value);

        Assert.Equal(value, await client.GetBytesAsync(key));
        await client.SetBytesAsync(key, ReadOnlyMemory<byte>.Empty);
        Assert.Equal(Array.Empty<byte>(), await client.GetBytesAsync(key));
    }

    [Fact]
    public async Task Hash_fields_can_be_set_read_listed_and_deleted()
    {
        await using var client = await RespClient.ConnectAsync(redis.Address);
        var key = Key();

        await client.HashSetAsync(key, "name", "granary");
        await client.HashSetAsync(key, "grüße", "🌾");
        await client.HashSetAsync(key, "name", "granary-2");

        Assert.Equal("granary-2", await client.HashGetAsync(key, "name"));
        Assert.Equal("🌾", await client.HashGetAsync(key, "grüße"));
        var all = await client.HashGetAllAsync(key);
        Assert.Equal(2, all.Count);
        Assert.Equal("granary-2", all["name"]);
        Assert.Equal("🌾", all["grüße"]);

        Assert.Equal(1, await client.HashDeleteAsync(key, "name"));
        Assert.Equal(0, await client.HashDeleteAsync(key, "name"));
        Assert.Null(await client.HashGetAsync(key, "name"));
        Assert.Equal(["grüße"], (await client.HashGetAllAsync(key)).Keys);
    }

    [Fact]
    public async Task Missing_keys_and_fields_read_as_null_or_empty()
    {
        await using var client = await RespClient.ConnectAsync(redis.Address);
        var key = Key();

        Assert.Null(await client.GetAsync(key));
        Assert.Null(await client.GetBytesAsync(key));
        Assert.Null(await client.HashGetAsync(key, "field"));
        Assert.Empty(await client.HashGetAllAsync(key));
        Assert.Equal(0, await client.DelAsync(key));
        Assert.Equal(0, await client.HashDeleteAsync(key, "field"));
    }

    [Fact]
    public async Task Execute_returns_integers_arrays_and_nils_as_sent()
    {
        await using var client = await RespClient.ConnectAsync(redis.Address);
        var list = Key();
        var missing = Key();

        var pushed = await client.ExecuteAsync(["RPUSH", list, "a", "b", "c"]);
        Assert.Equal(RespType.Integer, pushed.Type);
        Assert.Equal(3, pushed.Integer);

        var range = await client.ExecuteAsync(["LRANGE", list, "0", "-1"]);
        Assert.Equal(RespType.Array, range.Type);
        Assert.Equal(["a", "b", "c"], range.Items!.Select(item => item.AsString()));

        var mixed = await client.ExecuteAsync(["MGET", missing, list + "-none"]);
        Assert.All(mixed.Items!, item => Assert.True(item.IsNull));

        var nil = await client.ExecuteAsync([Encoding.ASCII.GetBytes("GET"), Encoding.UTF8.GetBytes(missing)]);
        Assert.Equal(RespType.BulkString, nil.Type);
        Assert.True(nil.IsNull);

        var status = await client.ExecuteAsync(["SET", missing, "x"]);
        Assert.Equal(RespValue.Simple("OK"), status);
    }

    [Fact]
    public async Task An_error_reply_throws_with_the_servers_message_and_the_client_keeps_working()
    {
        await using var client = await RespClient.ConnectAsync(redis.Address);
        var key = Key();
        await client.SetAsync(key, "not a number");

        var error = await Assert.ThrowsAsync<RedisException>(() => client.ExecuteAsync(["INCR", key]));
        Assert.Equal("ERR value is not an integer or out of range", error.Message);

        var wrongType = await Assert.ThrowsAsync<RedisException>(() => client.HashGetAsync(key, "field"));
        Assert.StartsWith("WRONGTYPE", wrongType.Message);

        var unknown = await Assert.ThrowsAsync<RedisException>(() => client.ExecuteAsync(["NOSUCHCOMMAND"]));
        Assert.Contains("unknown command", unknown.Message);

        Assert.Equal("not a number", await client.GetAsync(key));
    }

    [Fact]
    public async Task Two_hundred_concurrent_callers_each_get_their_own_reply()
    {
        await using var client = await RespClient.ConnectAsync(redis.Address);
        var prefix = Key();
        // Sizes vary so some replies arrive in many TCP segments while small ones queue behind them.
        static string ValueFor(int i) => $"value-{i}-" + new string((char)('a' + (i % 26)), i % 7 == 0 ? 200_000 : i);

        var writers = Enumerable.Range(0, 200).Select(i => Task.Run(async () =>
        {
            await client.SetAsync($"{prefix}:{i}", ValueFor(i));
            return await client.GetAsync($"{prefix}:{i}");
        }));
        var written = await Task.WhenAll(writers);
        for (var i = 0; i < written.Length; i++)
        {
            Assert.Equal(ValueFor(i), written[i]);
        }

        var readers = Enumerable.Range(0, 200).Select(i => Task.Run(async () =>
            (i, i % 2 == 0 ? await client.GetAsync($"{prefix}:{i}") : (await client.ExecuteAsync(["GET", $"{prefix}:{i}"])).AsString())));
        foreach (var (i, value) in await Task.WhenAll(readers))
        {
            Assert.Equal(ValueFor(i), value);
        }
    }

    [Fact]
    public async Task A_reply_the_caller_stopped_waiting_for_is_dropped_without_shifting_later_replies()
    {
        await using var client = await RespClient.ConnectAsync(redis.Address);
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.ExecuteAsync(["BLPOP", Key(), "1"], cancel.Token));

        // The BLPOP's nil reply is still on its way; PING must get PONG, not that nil.
        Assert.Equal("PONG", await client.PingAsync());
        var key = Key();
        await client.SetAsync(key, "after");
        Assert.Equal("after", await client.GetAsync(key));
    }

    [Fact]
    public async Task A_killed_connection_fails_the_call_in_flight_naming_the_address_and_the_next_call_reconnects()
    {
        await using var client = await RespClient.ConnectAsync(redis.Address);
        await using var admin = await RespClient.ConnectAsync(redis.Address);
        var id = (await client.ExecuteAsync(["CLIENT", "ID"])).Integer;

        var blocked = client.ExecuteAsync(["BLPOP", Key(), "0"]);
        await WaitUntilAsync(async () => (await admin.ExecuteAsync(["CLIENT", "LIST", "ID", $"{id}"])).AsString()!.Contains("cmd=blpop"));
        Assert.Equal(1, (await admin.ExecuteAsync(["CLIENT", "KILL", "ID", $"{id}"])).Integer);

        var lost = await Assert.ThrowsAsync<RedisConnectionException>(() => blocked);
        Assert.Contains(redis.Address, lost.Message);
        Assert.IsAssignableFrom<IOException>(lost);

        Assert.Equal("PONG", await client.PingAsync());
        Assert.NotEqual(id, (await client.ExecuteAsync(["CLIENT", "ID"])).Integer);
    }

    [Fact]
    public async Task An_idle_connection_killed_by_the_server_is_replaced_before_the_next_call()
    {
        await using var client = await RespClient.ConnectAsync(redis.Address);
        await using var admin = await RespClient.ConnectAsync(redis.Address);
        var id = (await client.ExecuteAsync(["CLIENT", "ID"])).Integer;

        Assert.Equal(1, (await admin.ExecuteAsync(["CLIENT", "KILL", "ID", $"{id}"])).Integer);

        Assert.Equal("PONG", await client.PingAsync());
        Assert.NotEqual(id, (await client.ExecuteAsync(["CLIENT", "ID"])).Integer);
    }

    [Fact]
    public async Task The_client_outlives_a_redis_restart()
    {
        await using var client = await RespClient.ConnectAsync(redis.Address);
        var key = Key();
        await client.SetAsync(key, "before");

        await redis.RestartAsync();

        // The restarted server is empty (nothing is persisted), which also proves this is a new connection.
        Assert.Null(await client.GetAsync(key));
        await client.SetAsync(key, "after");
        Assert.Equal("after", await client.GetAsync(key));
    }

    [Fact]
    public async Task Connecting_to_a_port_nobody_listens_on_fails_naming_the_address()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var address = $"127.0.0.1:{((IPEndPoint)probe.LocalEndPoint!).Port}";

        var error = await Assert.ThrowsAsync<RedisConnectionException>(() => RespClient.ConnectAsync(address));

        Assert.Contains(address, error.Message);
        Assert.Equal(address, error.Address);
    }

    [Fact]
    public async Task Calls_on_a_disposed_client_are_refused()
    {
        var client = await RespClient.ConnectAsync(redis.Address);
        await client.DisposeAsync();

        await Assert.ThrowsAsync<ObjectDisposedException>(() => client.PingAsync());
    }

    private static string Key() => $"test:{Guid.NewGuid():N}";

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), "condition not met within 10 s");
            await Task.Delay(10);
        }
    }
}
