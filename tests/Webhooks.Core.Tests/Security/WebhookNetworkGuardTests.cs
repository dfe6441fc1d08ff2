using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Webhooks.Core.Delivery;
using Webhooks.Core.Security;
using Webhooks.Core.Subscriptions;
using Webhooks.Core.Tests.Infrastructure;

namespace Webhooks.Core.Tests.Security;

/// <summary>The SSRF verdict for every target spelling, at subscribe time and at connect time.</summary>
public sealed class WebhookNetworkGuardTests
{
    private const string Allowed = "";

    // url, expected: "" = allowed, otherwise a fragment of the reason.
    public static TheoryData<string, string> Targets => new()
    {
        // Loopback, in every spelling the OS accepts.
        { "http://127.0.0.1/hook", "a loopback address (127.0.0.0/8)" },
        { "http://127.255.255.254/", "a loopback address" },
        { "http://2130706433/", "a loopback address" },                 // decimal
        { "http://0x7f.1/", "a loopback address" },                     // hex, short form
        { "http://0x7f000001/", "a loopback address" },                 // one hex number
        { "http://0177.0.0.1/", "a loopback address" },                 // octal
        { "http://017700000001/", "a loopback address" },               // one octal number
        { "http://127.1/", "a loopback address" },                      // short form
        { "http://127.0.0.1./", "a loopback address" },                 // trailing dot
        { "http://\uff11\uff12\uff17.\uff10.\uff10.\uff11/", "a loopback address" }, // full-width digits
        { "http://[::1]/", "the loopback address ::1" },
        { "http://[::ffff:127.0.0.1]/", "an IPv4-mapped form of a loopback address" },
        { "http://[::ffff:7f00:1]/", "an IPv4-mapped form of a loopback address" },
        { "http://[0:0:0:0:0:ffff:127.0.0.1]/", "an IPv4-mapped form of a loopback address" },
        { "http://[::127.0.0.1]/", "IPv4-compatible" },
        { "http://localhost/", "names this machine" },
        { "http://LOCALHOST./", "names this machine" },
        { "http://api.localhost:8080/", "names this machine" },
        { "http://\u24db\u24de\u24d2\u24d0\u24db\u24d7\u24de\u24e2\u24e3/", "names this machine" }, // circled letters map to "localhost"
        // Private networks.
        { "http://10.0.0.1/", "a private network address (10.0.0.0/8)" },
        { "http://10.255.255.255/", "a private network address (10.0.0.0/8)" },
        { "http://172.16.0.1/", "a private network address (172.16.0.0/12)" },
        { "http://172.31.255.255/", "a private network address (172.16.0.0/12)" },
        { "http://192.168.1.1/", "a private network address (192.168.0.0/16)" },
        { "http://[::ffff:10.1.2.3]/", "an IPv4-mapped form of a private network address" },
        { "http://[fc00::1]/", "a unique local (private) address" },
        { "http://[fd12:3456::1]/", "a unique local (private) address" },
        { "http://[fec0::1]/", "site-local" },
        // Link-local and cloud metadata.
        { "http://169.254.169.254/latest/meta-data/", "the cloud metadata address 169.254.169.254" },
        { "http://2852039166/", "the cloud metadata address 169.254.169.254" },
        { "http://169.254.170.2/v2/credentials", "a cloud metadata address" },
        { "http://100.100.100.200/", "a cloud metadata address" },
        { "http://[fd00:ec2::254]/", "the cloud metadata address fd00:ec2::254" },
        { "http://169.254.1.1/", "a link-local address (169.254.0.0/16)" },
        { "http://[fe80::1]/", "a link-local address (fe80::/10)" },
        { "http://[fe80::1%25eth0]/", "a link-local address (fe80::/10)" },
        // Carrier-grade NAT, unspecified, "this network", multicast, broadcast, reserved.
        { "http://100.64.0.1/", "a carrier-grade NAT address" },
        { "http://100.127.255.254/", "a carrier-grade NAT address" },
        { "http://0.0.0.0/", "the unspecified address" },
        { "http://0/", "the unspecified address" },
        { "http://0.1.2.3/", "\"this network\"" },
        { "http://[::]/", "the unspecified address ::" },
        { "http://224.0.0.1/", "a multicast address (224.0.0.0/4)" },
        { "http://239.255.255.250/", "a multicast address" },
        { "http://[ff02::1]/", "a multicast address (ff00::/8)" },
        { "http://255.255.255.255/", "the broadcast address" },
        { "http://4294967295/", "the broadcast address" },
        { "http://240.0.0.1/", "a reserved address (240.0.0.0/4)" },
        { "http://192.0.0.170/", "an IETF protocol address" },
        { "http://[100::1]/", "outside the global unicast range" },
        { "http://[::ffff:0:a00:1]/", "outside the global unicast range" },
        // Documentation and benchmarking.
        { "http://192.0.2.10/", "a documentation address (192.0.2.0/24)" },
        { "http://198.51.100.7/", "a documentation address (198.51.100.0/24)" },
        { "http://203.0.113.9/", "a documentation address (203.0.113.0/24)" },
        { "http://[2001:db8::1]/", "a documentation address (2001:db8::/32)" },
        { "http://[3fff::1]/", "a documentation address (3fff::/20)" },
        { "http://198.18.0.1/", "a benchmarking address (198.18.0.0/15)" },
        { "http://[2001:2::1]/", "a benchmarking address (2001:2::/48)" },
        // IPv6 forms that embed a blocked IPv4 address.
        { "http://[2002:7f00:1::]/", "the 6to4 form (2002::/16) of a loopback address" },
        { "http://[2002:a00:1::1]/", "the 6to4 form (2002::/16) of a private network address" },
        { "http://[64:ff9b::a9fe:a9fe]/", "the NAT64 form (64:ff9b::/96) of the cloud metadata address" },
        { "http://[64:ff9b::7f00:1]/", "the NAT64 form (64:ff9b::/96) of a loopback address" },
        { "http://[64:ff9b:1::a00:1]/", "a local-use NAT64 address" },
        { "http://[2001:0:4136:e378:8000:63bf:80ff:fffe]/", "a Teredo address (2001::/32) whose client is a loopback address" },
        { "http://[2001:0:a00:1::1]/", "a Teredo address (2001::/32) whose server is a private network address" },
        // Names: private-use suffixes, and names whose DNS answer is internal.
        { "http://metadata.google.internal/computeMetadata/v1/", "a private-use name (*.internal)" },
        { "http://printer.local/", "a private-use name (*.local)" },
        { "http://router.home.arpa/", "a private-use name (*.home.arpa)" },
        { "http://private.test/", "The host 'private.test' resolves to a private network address" },
        { "http://mixed.test/", "resolves to a loopback address" },
        { "http://metadata.test/", "resolves to the cloud metadata address" },
        { "http://v6-private.test/", "resolves to a unique local (private) address" },
        // Public addresses and names: allowed.
        { "https://93.184.216.34/hooks", Allowed },
        { "https://8.8.8.8:8443/hook", Allowed },
        { "https://[2606:4700:4700::1111]/", Allowed },
        { "https://[::ffff:8.8.8.8]/", Allowed },
        { "https://[2002:808:808::1]/", Allowed },          // 6to4 of a public address
        { "https://[64:ff9b::808:808]/", Allowed },         // NAT64 of a public address
        { "https://172.15.255.255/", Allowed },             // just below 172.16.0.0/12
        { "https://172.32.0.1/", Allowed },                 // just above it
        { "https://100.63.255.255/", Allowed },             // just below 100.64.0.0/10
        { "https://100.128.0.1/", Allowed },                // just above it
        { "https://169.255.0.1/", Allowed },
        { "https://192.169.0.1/", Allowed },
        { "https://11.0.0.1/", Allowed },
        { "https://public.test/hooks", Allowed },
        { "https://localhost.public.test/", Allowed },      // "localhost" inside a public name is just a label
        { "https://internal.public.test/", Allowed },
    };

    [Theory]
    [MemberData(nameof(Targets))]
    public async Task CreateSubscription_Target_HasExpectedVerdict(string url, string expected)
    {
        await using var host = await StartAsync();

        var act = () => host.Subscriptions.CreateAsync(null, new WebhookSubscriptionDefinition { Name = "t", Url = url, Events = ["order.created"] });

        if (expected == Allowed)
        {
            await act.Should().NotThrowAsync();
        }
        else
        {
            var error = (await act.Should().ThrowAsync<WebhookValidationException>()).Which;
            error.Errors.Should().ContainKey("url").WhoseValue.Should().ContainSingle().Which.Should().Contain(expected);
        }
    }

    [Theory]
    [MemberData(nameof(Targets))]
    public async Task Connect_Target_HasSameVerdictAsSubscribe(string url, string expected)
    {
        await using var host = await StartAsync();
        var guard = host.Services.GetRequiredService<WebhookNetworkGuard>();
        var uri = new Uri(url);

        var act = () => guard.ResolveAllowedAsync(uri.HostNameType == UriHostNameType.IPv6 ? uri.Host : uri.IdnHost, uri.Port, CancellationToken.None);

        if (expected == Allowed)
        {
            (await act.Should().NotThrowAsync()).Which.Should().NotBeEmpty();
        }
        else
        {
            (await act.Should().ThrowAsync<WebhookTargetBlockedException>()).Which.Message.Should().Contain(expected);
        }
    }

    [Fact]
    public async Task CreateSubscription_NameThatDoesNotResolveYet_IsAccepted_ButConnectFailsAsNameError()
    {
        await using var host = await StartAsync();

        await host.Subscriptions.CreateAsync(null, new WebhookSubscriptionDefinition { Name = "t", Url = "https://not-yet.test/", Events = ["order.created"] });
        var act = () => host.Services.GetRequiredService<WebhookNetworkGuard>().ResolveAllowedAsync("not-yet.test", 443, CancellationToken.None);

        await act.Should().ThrowAsync<SocketException>();
    }

    [Fact]
    public async Task CreateSubscription_BlockedMessage_NamesWhyAndWhereToAllow_WithoutRevealingResolvedAddress()
    {
        await using var host = await StartAsync();

        var act = () => host.Subscriptions.CreateAsync(null, new WebhookSubscriptionDefinition { Name = "t", Url = "https://private.test/", Events = ["order.created"] });

        var message = (await act.Should().ThrowAsync<WebhookValidationException>()).Which.Errors["url"].Single();
        message.Should().Contain("private network address").And.Contain("WebhookOptions.Network");
        message.Should().NotContain("10.9.8.7", "the error must not turn the API into a DNS oracle for internal names");
    }

    [Fact]
    public async Task UpdateUrl_ToBlockedTarget_IsRejected_AndSubscriptionUnchanged()
    {
        await using var host = await StartAsync();
        var created = await host.Subscriptions.CreateAsync(null, new WebhookSubscriptionDefinition { Name = "t", Url = "https://public.test/", Events = ["order.created"] });

        var literal = () => host.Subscriptions.UpdateAsync(null, created.Subscription.Id, new WebhookSubscriptionPatch { Url = "http://169.254.169.254/" });
        var resolved = () => host.Subscriptions.UpdateAsync(null, created.Subscription.Id, new WebhookSubscriptionPatch { Url = "https://private.test/" });

        (await literal.Should().ThrowAsync<WebhookValidationException>()).Which.Errors["url"].Single().Should().Contain("cloud metadata");
        (await resolved.Should().ThrowAsync<WebhookValidationException>()).Which.Errors["url"].Single().Should().Contain("private network");
        (await host.Subscriptions.GetAsync(null, created.Subscription.Id))!.Url.Should().Be("https://public.test/");
    }

    [Fact]
    public async Task SendTest_UnsavedBlockedTarget_IsRejectedBeforeSending()
    {
        await using var host = await StartAsync();

        var act = () => host.TestSender.SendAsync(new WebhookTestTarget { Url = "http://[::ffff:192.168.0.1]/" });

        (await act.Should().ThrowAsync<WebhookValidationException>()).Which.Errors["url"].Single().Should().Contain("private network");
    }

    public static TheoryData<string, Action<WebhookNetworkOptions>, bool> AllowListCases => new()
    {
        { "http://10.1.2.3/", n => n.AllowedAddresses = ["10.1.0.0/16"], true },
        { "http://10.2.0.1/", n => n.AllowedAddresses = ["10.1.0.0/16"], false },
        { "http://192.168.1.5/", n => n.AllowedAddresses = ["192.168.1.5"], true },
        { "http://[::ffff:192.168.1.5]/", n => n.AllowedAddresses = ["192.168.1.5"], true },
        { "http://[fd12::7]/", n => n.AllowedAddresses = ["fd12::/64"], true },
        { "http://127.0.0.1/", n => n.AllowLoopback = true, true },
        { "http://[::1]/", n => n.AllowLoopback = true, true },
        { "http://localhost/", n => n.AllowLoopback = true, true },
        { "http://10.0.0.1/", n => n.AllowLoopback = true, false },
        { "http://[2002:7f00:1::]/", n => n.AllowLoopback = true, false },   // a 6to4 address is not this machine
        // Metadata addresses open only to an exact entry, never to a range or a catch-all.
        { "http://169.254.169.254/", n => n.AllowedAddresses = ["169.254.0.0/16"], false },
        { "http://169.254.169.254/", n => n.AllowedAddresses = ["0.0.0.0/0"], false },
        { "http://169.254.169.254/", n => n.AllowedAddresses = ["169.254.169.254"], true },
        { "http://169.254.1.1/", n => n.AllowedAddresses = ["169.254.0.0/16"], true },
        // Names.
        { "http://hooks.corp.test/", n => n.AllowedHosts = ["hooks.corp.test"], true },
        { "http://a.b.corp.test/", n => n.AllowedHosts = ["*.corp.test"], true },
        { "http://corp.test/", n => n.AllowedHosts = ["*.corp.test"], false },
        { "http://build.internal/", n => n.AllowedHosts = ["build.internal"], true },
        { "https://public.test/", n => n.BlockedHosts = ["*.test"], false },
        { "https://public.test/", n => n.BlockedHosts = ["public.test"], false },
        { "https://93.184.216.34/", n => n.BlockedAddresses = ["93.184.216.0/24"], false },
        { "http://10.1.2.3/", n => { n.AllowedAddresses = ["10.0.0.0/8"]; n.BlockedAddresses = ["10.1.0.0/16"]; }, false }, // deny wins
        // Ports.
        { "https://93.184.216.34:22/", n => n.BlockedPorts = [22, 25], false },
        { "https://93.184.216.34/", n => n.BlockedPorts = [22, 25], true },
        { "https://93.184.216.34:8443/", n => n.AllowedPorts = [443], false },
        { "https://93.184.216.34/", n => n.AllowedPorts = [443], true },
        { "http://93.184.216.34/", n => n.AllowedPorts = [443], false },
    };

    [Theory]
    [MemberData(nameof(AllowListCases))]
    public async Task NetworkOptions_AllowAndDenyLists_DecideBothChecks(string url, Action<WebhookNetworkOptions> configure, bool allowed)
    {
        var resolver = new ScriptedResolver()
            .Answer("hooks.corp.test", ["10.5.0.1"])
            .Answer("a.b.corp.test", ["192.168.7.7"])
            .Answer("corp.test", ["10.5.0.2"])
            .Answer("build.internal", ["10.6.0.1"])
            .Answer("public.test", ["93.184.216.34"])
            .Answer("localhost", ["127.0.0.1", "::1"]);
        await using var host = await StartAsync(o => configure(o.Network), resolver);
        var guard = host.Services.GetRequiredService<WebhookNetworkGuard>();
        var uri = new Uri(url);

        var subscribe = () => host.Subscriptions.CreateAsync(null, new WebhookSubscriptionDefinition { Name = "t", Url = url, Events = ["order.created"] });
        var connect = () => guard.ResolveAllowedAsync(uri.HostNameType == UriHostNameType.IPv6 ? uri.Host : uri.IdnHost, uri.Port, CancellationToken.None);

        if (allowed)
        {
            await subscribe.Should().NotThrowAsync();
            await connect.Should().NotThrowAsync();
        }
        else
        {
            await subscribe.Should().ThrowAsync<WebhookValidationException>();
            await connect.Should().ThrowAsync<WebhookTargetBlockedException>();
        }
    }

    [Fact]
    public async Task AllowedHost_ResolvingToMetadataAddress_IsStillBlockedAtConnect()
    {
        var resolver = new ScriptedResolver().Answer("hooks.corp.test", ["169.254.169.254"]);
        await using var host = await StartAsync(o => o.Network.AllowedHosts = ["*.corp.test", "hooks.corp.test"], resolver);

        var act = () => host.Services.GetRequiredService<WebhookNetworkGuard>().ResolveAllowedAsync("hooks.corp.test", 443, CancellationToken.None);

        (await act.Should().ThrowAsync<WebhookTargetBlockedException>()).Which.Message.Should().Contain("cloud metadata");
    }

    [Theory]
    [InlineData(null, "Development", true)]
    [InlineData(null, "Production", false)]
    [InlineData(null, "Staging", false)]
    [InlineData(false, "Development", false)]
    [InlineData(true, "Production", true)]
    public async Task AllowLoopback_DefaultsToEnvironment(bool? setting, string environment, bool allowed)
    {
        await using var host = await WebhookHost.StartAsync(
            b => b.AddEventType("order.created"), o => o.Network.AllowLoopback = setting, start: false, environment: environment);

        host.Services.GetRequiredService<WebhookNetworkGuard>().AllowsLoopback.Should().Be(allowed);
    }

    [Fact]
    public void PlainAddWebhooks_BlocksLoopback()
    {
        var services = new ServiceCollection();
        services.AddWebhooks();
        using var provider = services.BuildServiceProvider();

        var guard = provider.GetRequiredService<WebhookNetworkGuard>();

        guard.AllowsLoopback.Should().BeFalse();
        guard.CheckUrl(new Uri("http://127.0.0.1:5000/hook")).Should().Contain("loopback");
    }

    public static TheoryData<Action<WebhookNetworkOptions>, string> InvalidNetworkOptions => new()
    {
        { n => n.AllowedAddresses = ["10.0.0.0/33"], "AllowedAddresses entry '10.0.0.0/33' is not an IP address or CIDR range" },
        { n => n.AllowedAddresses = ["10.1.2.3/8"], "AllowedAddresses entry '10.1.2.3/8'" },
        { n => n.BlockedAddresses = ["corp.example"], "BlockedAddresses entry 'corp.example'" },
        { n => n.AllowedHosts = ["hooks corp"], "AllowedHosts entry 'hooks corp' is not a host name or wildcard" },
        { n => n.BlockedHosts = ["*."], "BlockedHosts entry '*.'" },
        { n => n.AllowedHosts = ["a.*.b"], "AllowedHosts entry 'a.*.b'" },
        { n => n.AllowedPorts = [0], "AllowedPorts entry 0 is not a port" },
        { n => n.BlockedPorts = [70000], "BlockedPorts entry 70000 is not a port" },
    };

    [Theory]
    [MemberData(nameof(InvalidNetworkOptions))]
    public async Task Start_InvalidNetworkOption_FailsNamingEntry(Action<WebhookNetworkOptions> change, string message)
    {
        var act = () => WebhookHost.StartAsync(b => b.AddEventType("a"), o => change(o.Network));

        (await act.Should().ThrowAsync<OptionsValidationException>()).Which.Message.Should().Contain(message);
    }

    internal static Task<WebhookHost> StartAsync(Action<WebhookOptions>? options = null, ScriptedResolver? resolver = null)
    {
        resolver ??= new ScriptedResolver()
            .Answer("public.test", ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"])
            .Answer("localhost.public.test", ["93.184.216.35"])
            .Answer("internal.public.test", ["93.184.216.36"])
            .Answer("private.test", ["10.9.8.7"])
            .Answer("mixed.test", ["93.184.216.34", "127.0.0.1"])
            .Answer("metadata.test", ["169.254.169.254"])
            .Answer("v6-private.test", ["fd00::1"]);
        return WebhookHost.StartAsync(
            b => b.AddEventType("order.created"),
            o =>
            {
                o.Network.AllowLoopback = false;
                options?.Invoke(o);
            },
            resolver.Register,
            start: false);
    }
}
