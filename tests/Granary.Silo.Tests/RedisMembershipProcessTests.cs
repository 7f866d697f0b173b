using System.Text.Json;
using Granary.Grains.Tests;
using Orleans.Runtime;
using StackExchange.Redis;

namespace Granary.Silo.Tests;

/// <summary>`granary start --redis`: the silos' membership is Orleans' own Redis clustering table, beside the head's tables.</summary>
[Collection(ProcessClusterCollection.Name)]
public sealed class RedisMembershipProcessTests(RedisServerFixture redis) : IClassFixture<RedisServerFixture>
{
    [Fact]
    public async Task A_head_and_two_workers_are_active_members_in_Orleans_Redis_membership_table()
    {
        string[] silos = ["head", "w1", "w2"];
        await using var cluster = new ProcessCluster();
        await cluster.StartHeadAsync("--redis", redis.Address);
        foreach (var worker in silos[1..])
        {
            await cluster.StartWorkerAsync(worker, "--cpus", "1");
        }

        // Orleans.Clustering.Redis keeps one hash per cluster, "<service id>/members/<cluster id>", one field a silo.
        using var connection = await ConnectionMultiplexer.ConnectAsync(redis.Address).WithTimeout();
        var table = (RedisKey)$"{GranaryDefaults.ServiceId}/members/{GranaryDefaults.ClusterId}";
        Dictionary<string, int> members = [];
        await Eventually.HoldsAsync(
            async () =>
            {
                members = await ReadMembersAsync(connection.GetDatabase(), table);
                return silos.All(n => members.GetValueOrDefault(n) == (int)SiloStatus.Active);
            },
            TimeSpan.FromSeconds(15),
            "head, w1 and w2 are Active in Orleans' Redis membership table",
            () => string.Join(", ", members.Select(m => $"{m.Key}={(SiloStatus)m.Value}")));
    }

    private static async Task<Dictionary<string, int>> ReadMembersAsync(IDatabase db, RedisKey table)
    {
        var members = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var field in await db.HashGetAllAsync(table).WithTimeout())
        {
            var text = field.Value.ToString();
            if (!text.StartsWith('{'))
            {
                continue; // the table's version row
            }

            using var entry = JsonDocument.Parse(text);
            if (entry.RootElement.TryGetProperty("SiloName", out var name) && entry.RootElement.TryGetProperty("Status", out var status))
            {
                // A restarted silo leaves its old row behind as Dead; the newest one read last wins only if Active.
                var value = status.GetInt32();
                if (!members.TryGetValue(name.GetString()!, out var seen) || seen != (int)SiloStatus.Active)
                {
                    members[name.GetString()!] = value;
                }
            }
        }

        return members;
    }
}
