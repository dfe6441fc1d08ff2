using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Webhooks.Core.Delivery;
using Webhooks.Core.Security;
using Webhooks.Core.Subscriptions;
using Webhooks.Core.Tests.Infrastructure;

namespace Webhooks.Core.Tests.Security;

/// <summary>The SSRF guard over real HTTP: a real receiver on loopback that must never be reached.</summary>
public sealed class SsrfDeliveryTests
{
    [Fact]
    public async Task Subscribe_LoopbackReceiver_WithDefaultsOutsideDevelopment_IsRejectedSayingWhy()
    {
        await using var receiver = await TestReceiver.StartAsync();
        await using var host = await WebhookHost.StartAsync(b => b.AddEventType("order.created"), o => o.Network.AllowLoopback = null, environment: "Production");

        var act = () => host.Subscriptions.CreateAsync(null, new WebhookSubscriptionDefinition { Name = "local", Url = receiver.Url(), Events = ["order.created"] });

        (await act.Should().ThrowAsync<WebhookValidationException>()).Which.Errors["url"].Single()
            .Should().Contain("Webhooks cannot be sent to 127.0.0.1: it is a loopback address");
    }

    [Fact]
    public async Task Deliver_InDevelopmentWithDefaults_ReachesLoopbackReceiver()
    {
        await using var receiver = await TestReceiver.StartAsync();
        await using var host = await WebhookHost.StartAsync(b => b.AddEventType("order.created"), o => o.Network.AllowLoopback = null, environment: "Development");
        await host.Subscriptions.CreateAsync(null, new WebhookSubscriptionDefinition { Name = "local", Url = receiver.Url(), Events = ["order.created"] });

        await host.Publisher.PublishAsync("order.created", new { id = 1 });

        (await receiver.WaitForAsync(1)).Should().ContainSingle();
    }

    [Theory]
    [InlineData("http://127.0.0.1:{0}/hook", "a loopback address")]
    [InlineData("http://localhost:{0}/hook", "names this machine")]
    [InlineData("http://2130706433:{0}/hook", "a loopback address")]
    [InlineData("http://0x7f.1:{0}/hook", "a loopback address")]
    [InlineData("http://0177.0.0.1:{0}/hook", "a loopback address")]
    [InlineData("http://127.1:{0}/hook", "a loopback address")]
    [InlineData("http://127.0.0.1.:{0}/hook", "a loopback address")]
    [InlineData("http://[::ffff:127.0.0.1]:{0}/hook", "loopback address")]
    [InlineData("http://[::1]:{0}/hook", "the loopback address ::1")]
    public async Task Deliver_StoredLoopbackTarget_IsBlockedAtConnect_AndReceiverSeesNothing(string urlFormat, string reason)
    {
        await using var receiver = await TestReceiver.StartAsync();
        await using var host = await WebhookHost.StartAsync(b => b.AddEventType("order.created"), o => o.Network.AllowLoopback = false);
        var url = string.Format(urlFormat, new Uri(receiver.BaseUrl).Port);
        // Written to the store directly, as a custom store or a database edit could: only the connect-time check stands in the way.
        var id = await StoreDirectly(host, url);

        await host.Publisher.PublishAsync("order.created", new { id = 1 });

        var attempts = await WaitForFailedAttempts(host, id);
        attempts.Should().OnlyContain(a => a.ErrorKind == WebhookErrorKind.Blocked);
        attempts[0].Error.Should().Contain(reason);
        attempts[0].StatusCode.Should().BeNull();
        receiver.Requests.Should().BeEmpty();
    }

    [Fact]
    public async Task Deliver_NameRebindsToLoopbackAfterSubscribe_IsBlockedAtConnect()
    {
        await using var receiver = await TestReceiver.StartAsync();
        // The attacker's DNS: a public address while the URL is checked, loopback when the delivery connects.
        var resolver = new ScriptedResolver().Answer("rebind.test", ["93.184.216.34"], ["127.0.0.1"]);
        await using var host = await WebhookHost.StartAsync(b => b.AddEventType("order.created"), o => o.Network.AllowLoopback = false, resolver.Register);
        var port = new Uri(receiver.BaseUrl).Port;
        var sub = await host.Subscriptions.CreateAsync(null, new WebhookSubscriptionDefinition { Name = "rebind", Url = $"http://rebind.test:{port}/hook", Events = ["order.created"] });

        await host.Publisher.PublishAsync("order.created", new { id = 1 });

        var attempts = await WaitForFailedAttempts(host, sub.Subscription.Id);
        attempts.Should().OnlyContain(a => a.ErrorKind == WebhookErrorKind.Blocked);
        attempts[0].Error.Should().Be("The host 'rebind.test' resolves to a loopback address (127.0.0.0/8); webhooks cannot be sent there. Use a public address; to deliver inside your own network, the application can allow it with WebhookOptions.Network.");
        resolver.Lookups.Count.Should().BeGreaterThanOrEqualTo(2, "the name was resolved again at connect time");
        receiver.Requests.Should().BeEmpty();
    }

    [Fact]
    public async Task Deliver_NameResolvedByGuard_IsWhatTheConnectionUses()
    {
        // The control for the rebinding test: with loopback allowed, the same scripted name reaches the receiver,
        // so the guard's own lookup is the one the connection uses (nothing resolves the name a second time).
        await using var receiver = await TestReceiver.StartAsync();
        var resolver = new ScriptedResolver().Answer("rebind.test", ["93.184.216.34"], ["127.0.0.1"]);
        await using var host = await WebhookHost.StartAsync(b => b.AddEventType("order.created"), o => o.Network.AllowLoopback = true, resolver.Register);
        var port = new Uri(receiver.BaseUrl).Port;
        await host.Subscriptions.CreateAsync(null, new WebhookSubscriptionDefinition { Name = "rebind", Url = $"http://rebind.test:{port}/hook", Events = ["order.created"] });

        await host.Publisher.PublishAsync("order.created", new { id = 1 });

        var request = (await receiver.WaitForAsync(1))[0];
        request.Header("host").Should().Be($"rebind.test:{port}");
    }

    [Fact]
    public async Task SendTest_SavedSubscriptionThatRebinds_ReportsBlockedAttempt()
    {
        await using var receiver = await TestReceiver.StartAsync();
        var resolver = new ScriptedResolver().Answer("rebind.test", ["93.184.216.34"], ["10.0.0.7"]);
        await using var host = await WebhookHost.StartAsync(b => b.AddEventType("order.created"), o => o.Network.AllowLoopback = false, resolver.Register);
        var sub = await host.Subscriptions.CreateAsync(null, new WebhookSubscriptionDefinition { Name = "rebind", Url = "http://rebind.test/hook", Events = ["order.created"] });

        var attempt = await host.TestSender.SendAsync(null, sub.Subscription.Id);

        attempt!.ErrorKind.Should().Be(WebhookErrorKind.Blocked);
        attempt.Error.Should().Contain("resolves to a private network address (10.0.0.0/8)");
    }

    [Fact]
    public async Task Deliver_RedirectToBlockedAddress_IsNotFollowed()
    {
        // A listener on 127.0.0.2, outside the allow list: it counts every connection made to it.
        using var forbidden = new TcpListener(IPAddress.Parse("127.0.0.2"), 0);
        forbidden.Start();
        int connections = 0;
        var accepting = Task.Run(async () =>
        {
            while (true)
            {
                using var client = await forbidden.AcceptTcpClientAsync();
                Interlocked.Increment(ref connections);
            }
        });
        var forbiddenUrl = $"http://127.0.0.2:{((IPEndPoint)forbidden.LocalEndpoint).Port}/hook";
        await using var receiver = await TestReceiver.StartAsync();
        receiver.Responder = (ctx, _) => { ctx.Response.StatusCode = 307; ctx.Response.Headers.Location = forbiddenUrl; return Task.CompletedTask; };
        await using var host = await WebhookHost.StartAsync(b => b.AddEventType("order.created"), o =>
        {
            o.Network.AllowLoopback = false;
            o.Network.AllowedAddresses = ["127.0.0.1"];
        });
        var sub = await host.Subscriptions.CreateAsync(null, new WebhookSubscriptionDefinition { Name = "redirect", Url = receiver.Url(), Events = ["order.created"] });

        await host.Publisher.PublishAsync("order.created", new { id = 1 });

        var attempts = await WaitForFailedAttempts(host, sub.Subscription.Id);
        attempts.Should().OnlyContain(a => a.StatusCode == 307 && a.ErrorKind == WebhookErrorKind.HttpStatus);
        attempts[0].Error.Should().Contain("redirects are not followed");
        receiver.Requests.Should().HaveCount(attempts.Count);
        Volatile.Read(ref connections).Should().Be(0);
        host.Services.GetRequiredService<WebhookNetworkGuard>().CheckUrl(new Uri(forbiddenUrl)).Should().Contain("loopback", "the redirect target is one the guard refuses");
        forbidden.Stop();
        await accepting.ContinueWith(_ => { });
    }

    [Fact]
    public async Task AllowedAddresses_ExactLoopbackAddress_IsDelivered_WhileRestOfLoopbackStaysBlocked()
    {
        await using var receiver = await TestReceiver.StartAsync();
        await using var host = await WebhookHost.StartAsync(b => b.AddEventType("order.created"), o =>
        {
            o.Network.AllowLoopback = false;
            o.Network.AllowedAddresses = ["127.0.0.1"];
        });
        await host.Subscriptions.CreateAsync(null, new WebhookSubscriptionDefinition { Name = "allowed", Url = receiver.Url(), Events = ["order.created"] });

        var other = () => host.Subscriptions.CreateAsync(null, new WebhookSubscriptionDefinition { Name = "other", Url = "http://127.0.0.2/hook", Events = ["order.created"] });
        await host.Publisher.PublishAsync("order.created", new { id = 1 });

        (await receiver.WaitForAsync(1)).Should().ContainSingle();
        await other.Should().ThrowAsync<WebhookValidationException>();
    }

    [Fact]
    public async Task AllowedHosts_InternalNameOnLoopback_IsDelivered()
    {
        await using var receiver = await TestReceiver.StartAsync();
        var resolver = new ScriptedResolver().Answer("hooks.corp.internal", ["127.0.0.1"]);
        await using var host = await WebhookHost.StartAsync(b => b.AddEventType("order.created"), o =>
        {
            o.Network.AllowLoopback = false;
            o.Network.AllowedHosts = ["*.corp.internal"];
        }, resolver.Register);
        var port = new Uri(receiver.BaseUrl).Port;
        await host.Subscriptions.CreateAsync(null, new WebhookSubscriptionDefinition { Name = "corp", Url = $"http://hooks.corp.internal:{port}/hook", Events = ["order.created"] });

        await host.Publisher.PublishAsync("order.created", new { id = 1 });

        (await receiver.WaitForAsync(1)).Should().ContainSingle();
    }

    [Fact]
    public async Task BlockedPort_OnAllowedAddress_IsBlockedAtSubscribeAndConnect()
    {
        await using var receiver = await TestReceiver.StartAsync();
        var port = new Uri(receiver.BaseUrl).Port;
        await using var host = await WebhookHost.StartAsync(b => b.AddEventType("order.created"), o => o.Network.BlockedPorts = [port]);

        var subscribe = () => host.Subscriptions.CreateAsync(null, new WebhookSubscriptionDefinition { Name = "port", Url = receiver.Url(), Events = ["order.created"] });
        (await subscribe.Should().ThrowAsync<WebhookValidationException>()).Which.Errors["url"].Single().Should().Contain($"Port {port} is blocked");

        var id = await StoreDirectly(host, receiver.Url());
        await host.Publisher.PublishAsync("order.created", new { id = 1 });
        var attempts = await WaitForFailedAttempts(host, id);
        attempts.Should().OnlyContain(a => a.ErrorKind == WebhookErrorKind.Blocked);
        receiver.Requests.Should().BeEmpty();
    }

    internal static async Task<string> StoreDirectly(WebhookHost host, string url, IReadOnlyDictionary<string, string>? headers = null)
    {
        var now = DateTimeOffset.UtcNow;
        var stored = await host.Services.GetRequiredService<IWebhookSubscriptionStore>().CreateAsync(new WebhookSubscription
        {
            Id = "sub_" + Guid.NewGuid().ToString("N"),
            Name = "raw-" + Guid.NewGuid().ToString("N")[..8],
            Url = url,
            Events = ["order.created"],
            Secrets = [new WebhookSecret(WebhookSecret.Generate())],
            Headers = headers ?? new Dictionary<string, string>(),
            CreatedAt = now,
            UpdatedAt = now,
        }, CancellationToken.None);
        return stored.Id;
    }

    internal static async Task<IReadOnlyList<WebhookAttempt>> WaitForFailedAttempts(WebhookHost host, string subscriptionId)
    {
        var failed = await Eventually.GetAsync(
            async () => (await host.Deliveries.GetDeliveriesAsync(null, subscriptionId))!.Items.FirstOrDefault(d => d.Status == WebhookDeliveryStatus.Failed),
            "a failed delivery");
        return (await host.Deliveries.GetDeliveryAsync(null, failed.Id))!.Attempts;
    }
}
