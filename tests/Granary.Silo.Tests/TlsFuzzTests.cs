using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Granary.Grains;
using Granary.Grains.Hosting;
using Granary.Grains.Security;
using Microsoft.Extensions.Logging;

namespace Granary.Silo.Tests;

/// <summary>
/// Garbage, truncated handshakes, oversized input and idle connections against both ports of a live TLS
/// silo: it keeps serving its certificate holders, what it keeps in memory afterwards does not grow with
/// what was sent, and the lines it logs about bad connections stay a handful however many there were.
/// </summary>
public sealed class TlsFuzzTests : IAsyncLifetime
{
    private const int BadConnections = 120;

    private readonly string _root = Path.Combine(Path.GetTempPath(), "granary-tlsfuzz-" + Guid.NewGuid().ToString("N")[..8]);
    private readonly CategoryLines _logs = new();
    private SiloHost _head = null!;
    private ILoggerFactory _logging = null!;

    private string Node => Path.Combine(_root, "node");

    public async Task InitializeAsync()
    {
        ClusterCertificates.CreateAuthority(Path.Combine(_root, "ca"));
        ClusterCertificates.Issue(Path.Combine(_root, "ca"), CertificateRole.Node, "node", Node);
        _logging = LoggerFactory.Create(b => b.AddProvider(_logs).SetMinimumLevel(LogLevel.Information));
        _head = await SiloHost.StartAsync(new GranarySiloOptions { Cpus = 1, TlsDirectory = Node, LoggerFactory = _logging }).WaitAsync(TimeSpan.FromSeconds(60));
    }

    public async Task DisposeAsync()
    {
        await _head.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(60));
        _logging.Dispose();
        Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public async Task Bad_input_to_a_TLS_silo_costs_bounded_memory_and_log_lines_and_it_serves_on()
    {
        var endpoints = new[] { IPEndPoint.Parse(_head.Address), IPEndPoint.Parse(_head.Runtime.SiloEndpoint) };
        await AskStatusAsync();
        var before = SettledHeapBytes();
        var random = new Random(7);

        // Ten peers at a time, as a scanner would; each connection waits a moment for the silo to hang up.
        var inputs = new List<(IPEndPoint Endpoint, byte[] Input)>();
        for (var i = 0; i < BadConnections; i++)
        {
            byte[] input = (i % 4) switch
            {
                // Random bytes where a TLS record should be.
                0 => Bytes(random, 1024),
                // A handshake record header that promises 16 KiB, then a little of it and a hang-up.
                1 => [0x16, 0x03, 0x01, 0x40, 0x00, .. Bytes(random, 200)],
                // Orleans' own plain-TCP preamble, as a client without TLS would start.
                2 => [0x00, 0x00, 0x00, 0x10, .. Bytes(random, 16)],
                // Nothing at all: the connection is opened and left idle.
                _ => [],
            };
            inputs.Add((endpoints[i % 2], input));
        }

        foreach (var batch in inputs.Chunk(10))
        {
            await Task.WhenAll(batch.Select(b => SendAsync(b.Endpoint, b.Input)));
        }

        // Oversized: 32 MiB of garbage into each port, far past any record or message size.
        foreach (var endpoint in endpoints)
        {
            await SendAsync(endpoint, Bytes(random, 32 << 20));
        }

        await AskStatusAsync();
        var after = SettledHeapBytes();
        Assert.True(after - before < 24L << 20, $"the heap grew by {(after - before) >> 20} MiB after {BadConnections} bad connections and 64 MiB of garbage");

        // One line per bad connection would be over a hundred; the limiter lets a burst through per category.
        var perConnection = _logs.Lines.Where(l => ConnectionLogLimiter.IsPerConnection(l.Category)).GroupBy(l => l.Category).ToList();
        Assert.NotEmpty(perConnection);
        Assert.All(perConnection, g => Assert.True(g.Count() <= ConnectionLogLimiter.DefaultBurst + 1, $"{g.Key} wrote {g.Count()} lines"));
    }

    private async Task AskStatusAsync()
    {
        await using var cluster = await ClusterClientHost.ConnectAsync(_head.Address, GranaryDefaults.ClusterId, TimeSpan.FromSeconds(20), null, ClusterTls.Load(Node), null, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));
        var report = await cluster.Head.GetStatus().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Contains(report.View.Nodes, n => n.NodeId == _head.NodeId);
    }

    private static long SettledHeapBytes()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        return GC.GetTotalMemory(forceFullCollection: true);
    }

    private static byte[] Bytes(Random random, int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }

    /// <summary>Sends <paramref name="input"/>, then waits briefly for the silo to close; a silo that waits for more is fine too.</summary>
    private static async Task SendAsync(IPEndPoint endpoint, byte[] input)
    {
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(endpoint).WaitAsync(TimeSpan.FromSeconds(10));
        try
        {
            using var sending = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await socket.SendAsync(input, SocketFlags.None, sending.Token);
            using var read = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
            await socket.ReceiveAsync(new byte[64], SocketFlags.None, read.Token);
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException)
        {
            // Closed by the silo mid-way, or silent: both are what a silo may do with bad input.
        }
    }

    private sealed class CategoryLines : ILoggerProvider
    {
        private readonly ConcurrentQueue<(string Category, string Text)> _lines = new();

        public IReadOnlyCollection<(string Category, string Text)> Lines => _lines;

        public ILogger CreateLogger(string categoryName) => new Logger(categoryName, _lines);

        public void Dispose()
        {
        }

        private sealed class Logger(string category, ConcurrentQueue<(string, string)> lines) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                lines.Enqueue((category, formatter(state, exception)));
        }
    }
}
