using System.Net;
using System.Net.Sockets;
using Webhooks.Core.Delivery;

namespace Webhooks.Samples.Orders;

/// <summary>
/// Outside Development the sample refuses to deliver to this machine: the connection is checked
/// against the addresses the receiver's host name resolves to, and made to the checked address
/// (so a DNS answer cannot change in between). The delivery or test send fails as "blocked".
/// </summary>
internal static class LoopbackGuard
{
    public static async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var endpoint = context.DnsEndPoint;
        var addresses = IPAddress.TryParse(endpoint.Host, out var literal)
            ? [literal]
            : await Dns.GetHostAddressesAsync(endpoint.Host, cancellationToken);
        if (addresses.Length == 0)
        {
            throw new WebhookTargetBlockedException($"The receiver host '{endpoint.Host}' resolved to no address.");
        }

        foreach (var address in addresses)
        {
            var a = address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
            if (IPAddress.IsLoopback(a) || a.Equals(IPAddress.Any) || a.Equals(IPAddress.IPv6Any))
            {
                throw new WebhookTargetBlockedException($"The receiver host '{endpoint.Host}' is this machine ({a}); loopback receivers are allowed only in Development.");
            }
        }

        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(addresses, endpoint.Port, cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
