using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;

namespace Granary.Runtime.Transport;

/// <summary>The dialing side of the transport: a plain TCP socket wrapped in pipes.</summary>
internal static class SocketConnector
{
    public static async Task<IDuplexPipe> ConnectAsync(string address, CancellationToken cancellationToken)
    {
        var endpoint = ParseEndpoint(address);
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(endpoint, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        var stream = new NetworkStream(socket, ownsSocket: true);
        return new StreamDuplexPipe(
            PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 64 * 1024, minimumReadSize: 16 * 1024)),
            PipeWriter.Create(stream, new StreamPipeWriterOptions(minimumBufferSize: 64 * 1024)));
    }

    /// <summary>Parses "host:port"; the host may be a name (localhost) or an IP address.</summary>
    public static EndPoint ParseEndpoint(string address)
    {
        var colon = address.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(address.AsSpan(colon + 1), out var port) || port is <= 0 or > 65535)
        {
            throw new FormatException($"'{address}' is not an address of the form host:port (e.g. 127.0.0.1:6380).");
        }

        var host = address[..colon].Trim('[', ']');
        return IPAddress.TryParse(host, out var ip) ? new IPEndPoint(ip, port) : new DnsEndPoint(host, port);
    }

    private sealed class StreamDuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }
}
