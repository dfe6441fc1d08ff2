using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Webhooks.Core.Security;

/// <summary>Why an address is not a public unicast address.</summary>
internal enum WebhookAddressCategory
{
    Public,
    Loopback,
    Private,
    LinkLocal,
    CloudMetadata,
    SharedAddressSpace,
    Unspecified,
    ThisNetwork,
    Multicast,
    Broadcast,
    Documentation,
    Benchmarking,
    Reserved,

    /// <summary>An IPv6 form (IPv4-compatible, 6to4, NAT64, Teredo) that embeds a blocked IPv4 address.</summary>
    Embedded,
}

/// <summary>The category of an address and a phrase that names it without repeating the address.</summary>
internal readonly record struct WebhookAddressVerdict(WebhookAddressCategory Category, string Kind)
{
    public static WebhookAddressVerdict Public { get; } = new(WebhookAddressCategory.Public, "a public address");

    public bool IsBlocked => Category != WebhookAddressCategory.Public;
}

/// <summary>
/// The IANA special-purpose registries (IPv4 and IPv6) as a classifier. Everything not listed is a
/// public unicast address; for IPv6 only 2000::/3 is (the rest is unassigned or special).
/// </summary>
internal static class WebhookAddressRules
{
    private static readonly (uint Network, int Prefix, WebhookAddressCategory Category, string Kind)[] V4 =
    [
        // Most specific first: the first match wins.
        (0x00000000, 32, WebhookAddressCategory.Unspecified, "the unspecified address 0.0.0.0"),
        (0x00000000, 8, WebhookAddressCategory.ThisNetwork, "a \"this network\" address (0.0.0.0/8)"),
        (0x0A000000, 8, WebhookAddressCategory.Private, "a private network address (10.0.0.0/8)"),
        (0x646464C8, 32, WebhookAddressCategory.CloudMetadata, "a cloud metadata address (100.100.100.200)"),
        (0x64400000, 10, WebhookAddressCategory.SharedAddressSpace, "a carrier-grade NAT address (100.64.0.0/10)"),
        (0x7F000000, 8, WebhookAddressCategory.Loopback, "a loopback address (127.0.0.0/8)"),
        (0xA9FEA9FE, 32, WebhookAddressCategory.CloudMetadata, "the cloud metadata address 169.254.169.254"),
        (0xA9FEAA02, 32, WebhookAddressCategory.CloudMetadata, "a cloud metadata address (169.254.170.2)"),
        (0xA9FE0000, 16, WebhookAddressCategory.LinkLocal, "a link-local address (169.254.0.0/16)"),
        (0xAC100000, 12, WebhookAddressCategory.Private, "a private network address (172.16.0.0/12)"),
        (0xC0000000, 24, WebhookAddressCategory.Reserved, "an IETF protocol address (192.0.0.0/24)"),
        (0xC0000200, 24, WebhookAddressCategory.Documentation, "a documentation address (192.0.2.0/24)"),
        (0xC0586300, 24, WebhookAddressCategory.Reserved, "a 6to4 relay anycast address (192.88.99.0/24)"),
        (0xC0A80000, 16, WebhookAddressCategory.Private, "a private network address (192.168.0.0/16)"),
        (0xC6120000, 15, WebhookAddressCategory.Benchmarking, "a benchmarking address (198.18.0.0/15)"),
        (0xC6336400, 24, WebhookAddressCategory.Documentation, "a documentation address (198.51.100.0/24)"),
        (0xCB007100, 24, WebhookAddressCategory.Documentation, "a documentation address (203.0.113.0/24)"),
        (0xE0000000, 4, WebhookAddressCategory.Multicast, "a multicast address (224.0.0.0/4)"),
        (0xFFFFFFFF, 32, WebhookAddressCategory.Broadcast, "the broadcast address 255.255.255.255"),
        (0xF0000000, 4, WebhookAddressCategory.Reserved, "a reserved address (240.0.0.0/4)"),
    ];

    private static readonly (UInt128 Network, int Prefix, WebhookAddressCategory Category, string Kind)[] V6 =
    [
        (V6Of("::"), 128, WebhookAddressCategory.Unspecified, "the unspecified address ::"),
        (V6Of("::1"), 128, WebhookAddressCategory.Loopback, "the loopback address ::1"),
        (V6Of("64:ff9b:1::"), 48, WebhookAddressCategory.Private, "a local-use NAT64 address (64:ff9b:1::/48)"),
        (V6Of("2001:2::"), 48, WebhookAddressCategory.Benchmarking, "a benchmarking address (2001:2::/48)"),
        (V6Of("2001:10::"), 28, WebhookAddressCategory.Reserved, "an ORCHID address (2001:10::/28)"),
        (V6Of("2001:20::"), 28, WebhookAddressCategory.Reserved, "an ORCHIDv2 address (2001:20::/28)"),
        (V6Of("2001:db8::"), 32, WebhookAddressCategory.Documentation, "a documentation address (2001:db8::/32)"),
        (V6Of("3fff::"), 20, WebhookAddressCategory.Documentation, "a documentation address (3fff::/20)"),
        (V6Of("fd00:ec2::254"), 128, WebhookAddressCategory.CloudMetadata, "the cloud metadata address fd00:ec2::254"),
        (V6Of("fc00::"), 7, WebhookAddressCategory.Private, "a unique local (private) address (fc00::/7)"),
        (V6Of("fe80::"), 10, WebhookAddressCategory.LinkLocal, "a link-local address (fe80::/10)"),
        (V6Of("fec0::"), 10, WebhookAddressCategory.Private, "a site-local (private) address (fec0::/10)"),
        (V6Of("ff00::"), 8, WebhookAddressCategory.Multicast, "a multicast address (ff00::/8)"),
    ];

    private static readonly UInt128 Nat64 = V6Of("64:ff9b::");
    private static readonly UInt128 SixToFour = V6Of("2002::");
    private static readonly UInt128 Teredo = V6Of("2001::");
    private static readonly UInt128 GlobalUnicast = V6Of("2000::");

    /// <summary>Classifies an address; IPv4-mapped IPv6 addresses are classified as the IPv4 address they carry.</summary>
    public static WebhookAddressVerdict Classify(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            return ClassifyV4(ToUInt32(address));
        }

        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return new(WebhookAddressCategory.Reserved, "not an IP address");
        }

        if (address.IsIPv4MappedToIPv6)
        {
            var inner = ClassifyV4(ToUInt32(address.MapToIPv4()));
            return inner.IsBlocked ? inner with { Kind = "an IPv4-mapped form of " + inner.Kind } : inner;
        }

        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out _);
        var value = BinaryPrimitives.ReadUInt128BigEndian(bytes);
        foreach (var (network, prefix, category, kind) in V6)
        {
            if (InPrefix(value, network, prefix))
            {
                return new(category, kind);
            }
        }

        // ::/96: the deprecated IPv4-compatible form (::a.b.c.d); never routed, whatever it embeds.
        if (value >> 32 == UInt128.Zero)
        {
            return new(WebhookAddressCategory.Embedded, "a deprecated IPv4-compatible IPv6 address (::/96)");
        }

        if (InPrefix(value, Nat64, 96))
        {
            return Embedded(ClassifyV4((uint)value), "the NAT64 form (64:ff9b::/96) of ");
        }

        if (InPrefix(value, SixToFour, 16))
        {
            return Embedded(ClassifyV4((uint)(value >> 80)), "the 6to4 form (2002::/16) of ");
        }

        if (InPrefix(value, Teredo, 32))
        {
            var server = ClassifyV4((uint)(value >> 64));
            var client = ClassifyV4(~(uint)value);
            return server.IsBlocked ? Embedded(server, "a Teredo address (2001::/32) whose server is ")
                : Embedded(client, "a Teredo address (2001::/32) whose client is ");
        }

        return InPrefix(value, GlobalUnicast, 3)
            ? WebhookAddressVerdict.Public
            : new(WebhookAddressCategory.Reserved, "a reserved IPv6 address (outside the global unicast range 2000::/3)");
    }

    /// <summary>The IPv4 address an IPv4-mapped IPv6 address carries; other addresses as they are.</summary>
    public static IPAddress Canonical(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;

    /// <summary>Parses <c>10.0.0.0/8</c>, <c>fd00::/8</c> or a single address (a /32 or /128).</summary>
    public static bool TryParseNetwork(string? text, out IPNetwork network)
    {
        network = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        text = text.Trim();
        if (!text.Contains('/', StringComparison.Ordinal))
        {
            if (!IPAddress.TryParse(text, out var single))
            {
                return false;
            }

            single = Canonical(single);
            network = new IPNetwork(single, single.AddressFamily == AddressFamily.InterNetwork ? 32 : 128);
            return true;
        }

        // IPNetwork masks 10.1.2.3/8 to 10.0.0.0/8 silently; a list that says more than it means is refused instead.
        if (!IPNetwork.TryParse(text, out network) || !IPAddress.TryParse(text.AsSpan(0, text.IndexOf('/', StringComparison.Ordinal)), out var written)
            || !written.Equals(network.BaseAddress))
        {
            return false;
        }

        if (network.BaseAddress.IsIPv4MappedToIPv6)
        {
            // ::ffff:10.0.0.0/104 is 10.0.0.0/8; addresses are checked in their IPv4 form.
            if (network.PrefixLength < 96)
            {
                return false;
            }

            network = new IPNetwork(network.BaseAddress.MapToIPv4(), network.PrefixLength - 96);
        }

        return true;
    }

    private static WebhookAddressVerdict Embedded(WebhookAddressVerdict inner, string form) =>
        inner.IsBlocked ? new(WebhookAddressCategory.Embedded, form + inner.Kind) : WebhookAddressVerdict.Public;

    private static WebhookAddressVerdict ClassifyV4(uint value)
    {
        foreach (var (network, prefix, category, kind) in V4)
        {
            if (value >> (32 - prefix) == network >> (32 - prefix))
            {
                return new(category, kind);
            }
        }

        return WebhookAddressVerdict.Public;
    }

    private static bool InPrefix(UInt128 value, UInt128 network, int prefix) =>
        value >> (128 - prefix) == network >> (128 - prefix);

    private static uint ToUInt32(IPAddress v4)
    {
        Span<byte> bytes = stackalloc byte[4];
        v4.TryWriteBytes(bytes, out _);
        return BinaryPrimitives.ReadUInt32BigEndian(bytes);
    }

    private static UInt128 V6Of(string text)
    {
        Span<byte> bytes = stackalloc byte[16];
        IPAddress.Parse(text).TryWriteBytes(bytes, out _);
        return BinaryPrimitives.ReadUInt128BigEndian(bytes);
    }
}
