using System.Net;
using Microsoft.AspNetCore.Http;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.DependencyInjection;
using Webhooks.Core.Catalog;
using Webhooks.Core.Delivery;
using Webhooks.Core.Signing;
using Webhooks.Core.Subscriptions;
using Webhooks.Core.Tests.Infrastructure;

namespace Webhooks.Core.Tests.Delivery;

public sealed class DeliveryTests
{
    [Fact]
    public async Task Publish_ToSubscribedReceiver_DeliversSignedEnvelopeThatVerifies()
    {
        await using var receiver = await TestReceiver.StartAsync();
        await using var host = await WebhookHost.StartAsync(b => b.AddEventType("order.created", "An order was placed."));
        var created = await Subscribe(host, receiver.Url(), ["order.created"]);

        var result = await host.Publisher.PublishAsync("order.created", new { id = 42, total = 9.5 });

        result.DeliveryCount.Should().Be(1);
        var request = (await receiver.WaitForAsync(1))[0];
        request.Method.Should().Be("POST");
        request.Header("content-type").Should().Be("application/json; charset=utf-8");
        request.Header("webhook-id").Should().Be(result.MessageId);
        request.Header("user-agent").Should().Be("Webhooks.Core/1.0");
        var verified = new WebhookVerifier(created.Secret).Verify(request.Header("webhook-id"), request.Header("webhook-timestamp"), request.Header("webhook-signature"), request.Body);
        verified.IsValid.Should().BeTrue(verified.Message);
        using var doc = JsonDocument.Parse(request.Body);
        doc.RootElement.GetProperty("type").GetString().Should().Be("order.created");
        doc.RootElement.GetProperty("data").GetProperty("id").GetInt32().Should().Be(42);
        doc.RootElement.GetProperty("timestamp").GetDateTimeOffset().Should().BeCloseTo(DateTimeOffset.UtcNow, TimeSpan.FromMinutes(1));
        var log = await WaitForStatus(host, created.Subscription.Id, WebhookDeliveryStatus.Succeeded);
        log.AttemptCount.Should().Be(1);
        log.LastStatusCode.Should().Be(200);
    }

    [Fact]
    public async Task Receiver_500ThenOk_IsRetriedAndSucceeds()
    {
        await using var receiver = await TestReceiver.StartAsync();
        receiver.Responder = async (ctx, n) =>
        {
            ctx.Response.StatusCode = n == 1 ? 500 : 200;
            await ctx.Response.WriteAsync(n == 1 ? "boom" : "ok");
        };
        await using var host = await WebhookHost.StartAsync(b => b.AddEventType("order.created"));
        var sub = await Subscribe(host, receiver.Url(), ["order.created"]);

        await host.Publisher.PublishAsync("order.created", new { id = 1 });

        var requests = await receiver.WaitForAsync(2);
        requests[0].Header("webhook-id").Should().Be(requests[1].Header("webhook-id"), "a retry is the same message");
        var delivery = await WaitForStatus(host, sub.Subscription.Id, WebhookDeliveryStatus.Succeeded);
        var details = await host.Deliveries.GetDeliveryAsync(null, delivery.Id);
        details!.Attempts.Should().HaveCount(2);
        details.Attempts[0].StatusCode.Should().Be(500);
        details.Attempts[0].ResponseExcerpt.Should().Be("boom");
        details.Attempts[0].ErrorKind.Should().Be(WebhookErrorKind.HttpStatus);
        details.Attempts[1].StatusCode.Should().Be(200);
        details.Attempts[1].Succeeded.Should().BeTrue();
    }

    [Fact]
    public async Task Receiver_AlwaysFails_DeliveryFailsAfterLastAttemptAndCanBeRedelivered()
    {
        await using var receiver = await TestReceiver.StartAsync();
        receiver.Responder = (ctx, n) => { ctx.Response.StatusCode = n <= 4 ? 503 : 200; return Task.CompletedTask; };
        await using var host = await WebhookHost.StartAsync(b => b.AddEventType("order.created"));
        var sub = await Subscribe(host, receiver.Url(), ["order.created"]);

        await host.Publisher.PublishAsync("order.created", new { id = 1 });

        var failed = await WaitForStatus(host, sub.Subscription.Id, WebhookDeliveryStatus.Failed);
        failed.AttemptCount.Should().Be(4, "one attempt plus the three retries of the test schedule");
        (await host.Deliveries.RedeliverAsync(null, failed.Id)).Should().NotBeNull();
        var redelivered = await WaitForStatus(host, sub.Subscription.Id, WebhookDeliveryStatus.Succeeded);
        redelivered.AttemptCount.Should().Be(5);
    }

    [Fact]
    public async Task Receiver_Hangs_AttemptTimesOutAndIsRetried()
    {
        await using var receiver = await TestReceiver.StartAsync();
        receiver.Responder = async (ctx, n) =>
        {
            if (n == 1)
            {
                await Task.Delay(TimeSpan.FromSeconds(10), ctx.RequestAborted).ContinueWith(_ => { });
            }

            ctx.Response.StatusCode = 200;
        };
        await using var host = await WebhookHost.StartAsync(b => b.AddEventType("order.created"), o => o.AttemptTimeout = TimeSpan.FromMilliseconds(300));
        var sub = await Subscribe(host, receiver.Url(), ["order.created"]);

        await host.Publisher.PublishAsync("order.created", new { id = 1 });

        var delivery = await WaitForStatus(host, sub.Subscription.Id, WebhookDeliveryStatus.Succeeded);
        var details = await host.Deliveries.GetDeliveryAsync(null, delivery.Id);
        details!.Attempts[0].ErrorKind.Should().Be(WebhookErrorKind.Timeout);
        details.Attempts[0].StatusCode.Should().BeNull();
        details.Attempts[0].Error.Should().Contain("AttemptTimeout");
        details.Attempts[1].Succeeded.Should().BeTrue();
    }

    [Fact]
    public async Task Receiver_NotListening_ConnectionErrorRecordedAndRetriedUntilFailed()
    {
        var port = FreePort();
        await using var host = await WebhookHost.StartAsync(b => b.AddEventType("order.created"));
        var sub = await Subscribe(host, $"http://127.0.0.1:{port}/hook", ["order.created"]);

        await host.Publisher.PublishAsync("order.created", new { id = 1 });

        var failed = await WaitForStatus(host, sub.Subscription.Id, WebhookDeliveryStatus.Failed);
        var details = await host.Deliveries.GetDeliveryAsync(null, failed.Id);
        details!.Attempts.Should().HaveCount(4).And.OnlyContain(a => a.ErrorKind == WebhookErrorKind.ConnectionFailed);
        details.Attempts[0].Error.Should().Contain("connect");
    }

    [Fact]
    public async Task Receiver_ResetsConnection_AttemptFailsAsConnectionErrorAndIsRetried()
    {
        await using var receiver = await TestReceiver.StartAsync();
        receiver.Responder = (ctx, n) =>
        {
            if (n == 1)
            {
                ctx.Abort();
            }
            else
            {
                ctx.Response.StatusCode = 200;
            }

            return Task.CompletedTask;
        };
        await using var host = await WebhookHost.StartAsync(b => b.AddEventType("order.created"));
        var sub = await Subscribe(host, receiver.Url(), ["order.created"]);

        await host.Publisher.PublishAsync("order.created", new { id = 1 });

        var delivery = await WaitForStatus(host, sub.Subscription.Id, WebhookDeliveryStatus.Succeeded);
        var details = await host.Deliveries.GetDeliveryAsync(null, delivery.Id);
        details!.Attempts[0].ErrorKind.Should().Be(WebhookErrorKind.ConnectionFailed);
        details.Attempts[0].Error.Should().NotBeNullOrEmpty();
        details.Attempts[1].Succeeded.Should().BeTrue();
    }

    [Fact]
    public async Task Receiver_503WithRetryAfterDate_IsHonoured()
    {
        await using var receiver = await TestReceiver.StartAsync();
        receiver.Responder = (ctx, n) =>
        {
            ctx.Response.StatusCode = n == 1 ? 503 : 200;
            if (n == 1)
            {
                ctx.Response.Headers.RetryAfter = DateTimeOffset.UtcNow.AddSeconds(2).ToString("R");
            }

            return Task.CompletedTask;
        };
        await using var host = await WebhookHost.StartAsync(b => b.AddEventType("order.created"));
        await Subscribe(host, receiver.Url(), ["order.created"]);

        await host.Publisher.PublishAsync("order.created", new { id = 1 });

        var requests = await receiver.WaitForAsync(2);
        (requests[1].ReceivedAt - requests[0].ReceivedAt).Should().BeGreaterThan(TimeSpan.FromMilliseconds(900), "an HTTP-date Retry-After about 2 s ahead (whole seconds) was given");
    }

    [Fact]
    public async Task Receiver_410Gone_DisablesSubscriptionAtOnceAndNotifiesObserver()
    {
        await using var receiver = await TestReceiver.StartAsync();
        receiver.Responder = (ctx, _) => { ctx.Response.StatusCode = 410; return Task.CompletedTask; };
        var observer = new RecordingObserver();
        await using var host = await WebhookHost.StartAsync(b => b.AddEventType("order.created"), services: s => s.AddSingleton<IWebhookObserver>(observer));
        var sub = await Subscribe(host, receiver.Url(), ["order.created"]);

        await host.Publisher.PublishAsync("order.created", new { id = 1 });

        var failed = await WaitForStatus(host, sub.Subscription.Id, WebhookDeliveryStatus.Failed);
        failed.AttemptCount.Should().Be(1, "410 is not retried");
        var after = await Eventually.GetAsync(async () => (await host.Subscriptions.GetAsync(null, sub.Subscription.Id)) is { Active: false } s ? s : null, "the subscription to be disabled");
        after.DisabledReason.Should().Contain("410");
        await Eventually.TrueAsync(() => Task.FromResult(observer.Disabled.Count == 1), "the observer to hear of it");
        observer.Failed.Should().ContainSingle();

        (await host.Publisher.PublishAsync("order.created", new { id = 2 })).DeliveryCount.Should().Be(0, "a disabled subscription receives nothing");
        await host.Subscriptions.SetActiveAsync(null, sub.Subscription.Id, true);
        (await host.Subscriptions.GetAsync(null, sub.Subscription.Id))!.DisabledReason.Should().BeNull("enabling clears an automatic disable");
    }

    [Fact]
    public async Task Receiver_429WithRetryAfter_WaitsAtLeastThatLong()
    {
        await using var receiver = await TestReceiver.StartAsync();
        receiver.Responder = (ctx, n) =>
        {
            ctx.Response.StatusCode = n == 1 ? 429 : 200;
            if (n == 1)
            {
                ctx.Response.Headers.RetryAfter = "1";
            }

            return Task.CompletedTask;
        };
        await using var host = await WebhookHost.StartAsync(b => b.AddEventType("order.created"));
        await Subscribe(host, receiver.Url(), ["order.created"]);

        await host.Publisher.PublishAsync("order.created", new { id = 1 });

        var requests = await receiver.WaitForAsync(2);
        (requests[1].ReceivedAt - requests[0].ReceivedAt).Should().BeGreaterThanOrEqualTo(TimeSpan.FromMilliseconds(950), "the schedule says 50 ms but the receiver asked for 1 s");
    }

    [Fact]
    public async Task Receiver_Redirects_IsNotFollowedAndCountsAsFailure()
    {
        await using var target = await TestReceiver.StartAsync();
        await using var receiver = await TestReceiver.StartAsync();
        receiver.Responder = (ctx, _) => { ctx.Response.StatusCode = 307; ctx.Response.Headers.Location = target.Url(); return Task.CompletedTask; };
        await using var host = await WebhookHost.StartAsync(b => b.AddEventType("order.created"));
        var sub = await Subscribe(host, receiver.Url(), ["order.created"]);

        await host.Publisher.PublishAsync("order.created", new { id = 1 });

        var failed = await WaitForStatus(host, sub.Subscription.Id, WebhookDeliveryStatus.Failed);
        failed.LastStatusCode.Should().Be(307);
        failed.LastError.Should().Contain("redirect");
        target.Requests.Should().BeEmpty();
    }

    [Fact]
    public async Task Shutdown_WithAttemptInFlight_LetsItFinishWithinTheTimeout()
    {
        await using var receiver = await TestReceiver.StartAsync();
        var arrived = new TaskCompletionSource();
        receiver.Responder = async (ctx, _) => { arrived.TrySetResult(); await Task.Delay(500); ctx.Response.StatusCode = 200; };
        var host = await WebhookHost.StartAsync(b => b.AddEventType("order.created"));
        var sub = await Subscribe(host, receiver.Url(), ["order.created"]);
        await host.Publisher.PublishAsync("order.created", new { id = 1 });
        await arrived.Task.WaitAsync(TimeSpan.FromSeconds(10));

        await host.Host.StopAsync(new CancellationTokenSource(TimeSpan.FromSeconds(10)).Token);

        var page = await host.Deliveries.GetDeliveriesAsync(null, sub.Subscription.Id);
        page!.Items.Should().ContainSingle().Which.Status.Should().Be(WebhookDeliveryStatus.Succeeded);
        host.Host.Dispose();
    }

    [Fact]
    public async Task Shutdown_TimeoutReachedMidAttempt_ReturnsDeliveryToQueueUnattempted()
    {
        await using var receiver = await TestReceiver.StartAsync();
        var arrived = new TaskCompletionSource();
        receiver.Responder = async (ctx, _) => { arrived.TrySetResult(); await Task.Delay(TimeSpan.FromSeconds(5), ctx.RequestAborted).ContinueWith(_ => { }); };
        var host = await WebhookHost.StartAsync(b => b.AddEventType("order.created"));
        var sub = await Subscribe(host, receiver.Url(), ["order.created"]);
        await host.Publisher.PublishAsync("order.created", new { id = 1 });
        await arrived.Task.WaitAsync(TimeSpan.FromSeconds(10));

        await host.Host.StopAsync(new CancellationTokenSource(TimeSpan.FromMilliseconds(200)).Token);

        var store = host.Services.GetRequiredService<IWebhookDeliveryStore>();
        var delivery = (await host.Deliveries.GetDeliveriesAsync(null, sub.Subscription.Id))!.Items.Should().ContainSingle().Subject;
        delivery.Status.Should().Be(WebhookDeliveryStatus.Pending);
        delivery.AttemptCount.Should().Be(0, "the cut-short attempt is not counted");
        var leases = await store.LeaseAsync(10, TimeSpan.FromSeconds(30), default);
        leases.Should().ContainSingle("the lease was handed back, so it is due again at once").Which.Delivery.Id.Should().Be(delivery.Id);
        host.Host.Dispose();
    }

    [Fact]
    public async Task Publish_To100Subscriptions_SerializesPayloadOnceAndAllReceiveSameBytes()
    {
        await using var receiver = await TestReceiver.StartAsync();
        await using var host = await WebhookHost.StartAsync(b => b.AddEventType<CountedPayload>("order.created"));
        for (int i = 0; i < 100; i++)
        {
            await host.Subscriptions.CreateAsync(null, new WebhookSubscriptionDefinition { Name = $"s{i}", Url = receiver.Url($"/hook/{i}"), Events = ["order.created"] });
        }

        var payload = new CountedPayload { Id = 7 };
        var result = await host.Publisher.PublishAsync("order.created", payload);

        result.DeliveryCount.Should().Be(100);
        var requests = await receiver.WaitForAsync(100);
        payload.Serializations.Should().Be(1);
        requests.Select(r => r.BodyText).Distinct().Should().ContainSingle();
        requests.Select(r => r.Path).Distinct().Should().HaveCount(100);
    }

    [Fact]
    public async Task RotateSecret_DeliveriesSignedWithBothSecretsDuringGracePeriod()
    {
        await using var receiver = await TestReceiver.StartAsync();
        await using var host = await WebhookHost.StartAsync(b => b.AddEventType("order.created"));
        var created = await Subscribe(host, receiver.Url(), ["order.created"]);

        var rotated = await host.Subscriptions.RotateSecretAsync(null, created.Subscription.Id);
        await host.Publisher.PublishAsync("order.created", new { id = 1 });

        rotated!.Secret.Should().NotBe(created.Secret);
        var request = (await receiver.WaitForAsync(1))[0];
        request.Header("webhook-signature")!.Split(' ').Should().HaveCount(2);
        foreach (var secret in new[] { created.Secret, rotated.Secret })
        {
            new WebhookVerifier(secret).Verify(request.Header("webhook-id"), request.Header("webhook-timestamp"), request.Header("webhook-signature"), request.Body)
                .IsValid.Should().BeTrue();
        }
    }

    [Theory]
    [InlineData("basic", "Authorization", "Basic dXNlcjpwQHNz")]
    [InlineData("bearer", "Authorization", "Bearer tok-123")]
    [InlineData("apikey", "X-Api-Key", "key-456")]
    public async Task Auth_EachKind_ArrivesAsConfigured(string kind, string header, string expected)
    {
        await using var receiver = await TestReceiver.StartAsync();
        await using var host = await WebhookHost.StartAsync(b => b.AddEventType("order.created"));
        var auth = kind switch
        {
            "basic" => WebhookAuth.Basic("user", "p@ss"),
            "bearer" => WebhookAuth.Bearer("tok-123"),
            _ => WebhookAuth.ApiKey("X-Api-Key", "key-456"),
        };
        await host.Subscriptions.CreateAsync(null, new WebhookSubscriptionDefinition
        {
            Name = "a", Url = receiver.Url(), Events = ["order.created"], Auth = auth, Headers = new Dictionary<string, string> { ["X-Tenant"] = "t1" },
        });

        await host.Publisher.PublishAsync("order.created", new { id = 1 });

        var request = (await receiver.WaitForAsync(1))[0];
        request.Header(header).Should().Be(expected);
        request.Header("X-Tenant").Should().Be("t1");
    }

    [Fact]
    public async Task HmacHexScheme_WithEventAndNameHeaders_ReceiverVerifiesBody()
    {
        await using var receiver = await TestReceiver.StartAsync();
        await using var host = await WebhookHost.StartAsync(b => b.AddEventType("task.status.updated"), o =>
        {
            o.EventTypeHeader = "X-Webhook-Action";
            o.SubscriptionNameHeader = "X-Webhook-Name";
        });
        var created = await host.Subscriptions.CreateAsync("client-1", new WebhookSubscriptionDefinition
        {
            Name = "task-events", Url = receiver.Url(), Events = ["task.*"], SignatureScheme = WebhookSignatureSchemes.HmacSha256Hex,
        });

        await host.Publisher.PublishAsync("task.status.updated", new { entity = "task", id = 101 }, new() { Owner = "client-1" });

        var request = (await receiver.WaitForAsync(1))[0];
        request.Header("X-Webhook-Action").Should().Be("task.status.updated");
        request.Header("X-Webhook-Name").Should().Be("task-events");
        request.Header("webhook-signature").Should().BeNull();
        new WebhookVerifier(created.Secret).VerifyHmacSha256Hex(request.Header("X-Webhook-Signature"), request.Body).IsValid.Should().BeTrue();
    }

    [Fact]
    public async Task Publish_IsScopedToOwner_AndSkipsInactiveSubscriptions()
    {
        await using var receiver = await TestReceiver.StartAsync();
        await using var host = await WebhookHost.StartAsync(b => b.AddResource("order"));
        await host.Subscriptions.CreateAsync("alice", new WebhookSubscriptionDefinition { Name = "a", Url = receiver.Url("/alice"), Events = ["order.*"] });
        await host.Subscriptions.CreateAsync("bob", new WebhookSubscriptionDefinition { Name = "b", Url = receiver.Url("/bob"), Events = ["*"] });
        await host.Subscriptions.CreateAsync("alice", new WebhookSubscriptionDefinition { Name = "off", Url = receiver.Url("/off"), Events = ["order.created"], Active = false });
        await host.Subscriptions.CreateAsync(null, new WebhookSubscriptionDefinition { Name = "app", Url = receiver.Url("/app"), Events = ["order.created"] });

        var result = await host.Publisher.PublishAsync("order.created", new { id = 1 }, new() { Owner = "alice" });

        result.DeliveryCount.Should().Be(1);
        (await receiver.WaitForAsync(1)).Single().Path.Should().Be("/alice");
        await Task.Delay(200);
        receiver.Requests.Should().ContainSingle();
    }

    [Fact]
    public async Task Publish_SameIdempotencyKeyTwice_EnqueuesOnce()
    {
        await using var receiver = await TestReceiver.StartAsync();
        await using var host = await WebhookHost.StartAsync(b => b.AddEventType("order.created"));
        await Subscribe(host, receiver.Url(), ["order.created"]);

        var first = await host.Publisher.PublishAsync("order.created", new { id = 1 }, new() { IdempotencyKey = "order-1-created" });
        var second = await host.Publisher.PublishAsync("order.created", new { id = 1 }, new() { IdempotencyKey = "order-1-created" });
        var otherOwner = await host.Publisher.PublishAsync("order.created", new { id = 1 }, new() { IdempotencyKey = "order-1-created", Owner = "x" });

        second.IsDuplicate.Should().BeTrue();
        second.MessageId.Should().Be(first.MessageId);
        second.DeliveryCount.Should().Be(1);
        otherOwner.IsDuplicate.Should().BeFalse("keys are per owner");
        await receiver.WaitForAsync(1);
        await Task.Delay(200);
        receiver.Requests.Should().ContainSingle();
    }

    [Fact]
    public async Task DeletedSubscription_PendingDeliveryFailsWithoutSending()
    {
        await using var receiver = await TestReceiver.StartAsync();
        await using var host = await WebhookHost.StartAsync(b => b.AddEventType("order.created"), start: false);
        var sub = await Subscribe(host, receiver.Url(), ["order.created"]);
        await host.Publisher.PublishAsync("order.created", new { id = 1 });
        await host.Subscriptions.DeleteAsync(null, sub.Subscription.Id);
        var store = host.Services.GetRequiredService<IWebhookDeliveryStore>();

        await host.Host.StartAsync();

        var delivery = await Eventually.GetAsync(async () =>
        {
            var page = await ((IWebhookDeliveryLog)store).QueryAsync(new WebhookDeliveryQuery(null, sub.Subscription.Id), default);
            return page.Items.FirstOrDefault(d => d.Status == WebhookDeliveryStatus.Failed);
        }, "the delivery to fail");
        delivery.LastError.Should().Contain("deleted");
        receiver.Requests.Should().BeEmpty();
    }

    [Fact]
    public async Task SendTest_SavedAndUnsaved_ReturnsTheAttempt()
    {
        await using var receiver = await TestReceiver.StartAsync();
        receiver.Responder = async (ctx, _) => { ctx.Response.StatusCode = 202; await ctx.Response.WriteAsync("thanks"); };
        await using var host = await WebhookHost.StartAsync(b => b.AddEventType("order.created"));
        var sub = await Subscribe(host, receiver.Url("/saved"), ["order.created"]);

        var saved = await host.TestSender.SendAsync(null, sub.Subscription.Id);
        var unsaved = await host.TestSender.SendAsync(new WebhookTestTarget { Url = receiver.Url("/unsaved"), Auth = WebhookAuth.Bearer("t") });
        var unknown = await host.TestSender.SendAsync("someone-else", sub.Subscription.Id);

        saved!.StatusCode.Should().Be(202);
        saved.ResponseExcerpt.Should().Be("thanks");
        unsaved.Succeeded.Should().BeTrue();
        unknown.Should().BeNull("another owner's subscription is invisible");
        var requests = receiver.Requests;
        requests.Should().HaveCount(2);
        using var body = JsonDocument.Parse(requests[0].Body);
        body.RootElement.GetProperty("type").GetString().Should().Be("webhook.test");
        new WebhookVerifier(sub.Secret).Verify(requests[0].Header("webhook-id"), requests[0].Header("webhook-timestamp"), requests[0].Header("webhook-signature"), requests[0].Body).IsValid.Should().BeTrue();
        requests[1].Header("Authorization").Should().Be("Bearer t");
    }

    [Fact]
    public async Task SendTest_UnsavedTargetInvalid_ThrowsValidationError()
    {
        await using var host = await WebhookHost.StartAsync(b => b.AddEventType("order.created"));

        var act = () => host.TestSender.SendAsync(new WebhookTestTarget { Url = "ftp://example.com/x" });

        (await act.Should().ThrowAsync<WebhookValidationException>()).Which.Errors.Should().ContainKey("url");
    }

    [Fact]
    public async Task Stats_CountSucceededAndFailedAttempts()
    {
        await using var receiver = await TestReceiver.StartAsync();
        receiver.Responder = (ctx, n) => { ctx.Response.StatusCode = n == 1 ? 500 : 200; return Task.CompletedTask; };
        await using var host = await WebhookHost.StartAsync(b => b.AddEventType("order.created"));
        var sub = await Subscribe(host, receiver.Url(), ["order.created"]);

        await host.Publisher.PublishAsync("order.created", new { id = 1 });
        await host.Publisher.PublishAsync("order.created", new { id = 2 });
        await Eventually.TrueAsync(async () => (await host.Deliveries.GetDeliveriesAsync(null, sub.Subscription.Id, WebhookDeliveryStatus.Succeeded))!.Items.Count == 2, "both deliveries");

        var stats = await host.Deliveries.GetStatsAsync(null, sub.Subscription.Id, TimeSpan.FromHours(1), TimeSpan.FromMinutes(10));

        stats!.Should().HaveCountGreaterThanOrEqualTo(6);
        stats.Sum(b => b.Succeeded).Should().Be(2);
        stats.Sum(b => b.Failed).Should().Be(1);
    }

    internal static Task<WebhookSubscriptionWithSecret> Subscribe(WebhookHost host, string url, string[] events, string? owner = null)
        => host.Subscriptions.CreateAsync(owner, new WebhookSubscriptionDefinition { Name = "sub-" + Guid.NewGuid().ToString("N")[..8], Url = url, Events = events });

    internal static Task<WebhookDelivery> WaitForStatus(WebhookHost host, string subscriptionId, WebhookDeliveryStatus status)
        => Eventually.GetAsync(async () => (await host.Deliveries.GetDeliveriesAsync(null, subscriptionId))!.Items.FirstOrDefault(d => d.Status == status), $"a {status} delivery");

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    internal sealed class RecordingObserver : IWebhookObserver
    {
        public List<string> Disabled { get; } = [];
        public List<WebhookDelivery> Failed { get; } = [];
        public List<WebhookDelivery> Recovered { get; } = [];
        public List<string> NotSent { get; } = [];

        public Task OnDeliveryNotSentAsync(WebhookDelivery delivery, string reason, CancellationToken cancellationToken)
        {
            lock (this) { NotSent.Add(reason); }
            return Task.CompletedTask;
        }

        public Task OnSubscriptionDisabledAsync(WebhookSubscription subscription, string reason, CancellationToken cancellationToken)
        {
            lock (this) { Disabled.Add(reason); }
            return Task.CompletedTask;
        }

        public Task OnDeliveryFailedAsync(WebhookDelivery delivery, WebhookAttempt lastAttempt, CancellationToken cancellationToken)
        {
            lock (this) { Failed.Add(delivery); }
            return Task.CompletedTask;
        }

        public Task OnDeliveryRecoveredAsync(WebhookDelivery delivery, WebhookAttempt attempt, CancellationToken cancellationToken)
        {
            lock (this) { Recovered.Add(delivery); }
            return Task.CompletedTask;
        }
    }
}

/// <summary>Counts how often it is serialized, to prove fan-out serializes once.</summary>
[JsonConverter(typeof(CountedPayloadConverter))]
public sealed class CountedPayload
{
    public int Id { get; init; }

    public int Serializations;
}

public sealed class CountedPayloadConverter : JsonConverter<CountedPayload>
{
    public override CountedPayload Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => throw new NotSupportedException();

    public override void Write(Utf8JsonWriter writer, CountedPayload value, JsonSerializerOptions options)
    {
        Interlocked.Increment(ref value.Serializations);
        writer.WriteStartObject();
        writer.WriteNumber("id", value.Id);
        writer.WriteEndObject();
    }
}

public sealed class AttributeFilterTests
{
    [Fact]
    public async Task Filter_OnSeverity_DeliversOnlyMatchingEvents()
    {
        await using var receiver = await TestReceiver.StartAsync();
        await using var host = await WebhookHost.StartAsync(b => b.AddEventType("backup.failed"));
        await host.Subscriptions.CreateAsync(null, new WebhookSubscriptionDefinition
        {
            Name = "critical-only", Url = receiver.Url("/critical"), Events = ["backup.failed"],
            Filter = new Dictionary<string, IReadOnlyList<string>> { ["severity"] = ["error", "critical"] },
        });
        await host.Subscriptions.CreateAsync(null, new WebhookSubscriptionDefinition { Name = "all", Url = receiver.Url("/all"), Events = ["backup.failed"] });

        var info = await host.Publisher.PublishAsync("backup.failed", new { id = 1 }, new() { Attributes = new Dictionary<string, string> { ["severity"] = "info" } });
        var critical = await host.Publisher.PublishAsync("backup.failed", new { id = 2 }, new() { Attributes = new Dictionary<string, string> { ["severity"] = "critical" } });
        var none = await host.Publisher.PublishAsync("backup.failed", new { id = 3 });

        info.DeliveryCount.Should().Be(1);
        critical.DeliveryCount.Should().Be(2);
        none.DeliveryCount.Should().Be(1, "an event without the attribute does not pass a filter on it");
        var requests = await receiver.WaitForAsync(4);
        requests.Where(r => r.Path == "/critical").Should().ContainSingle().Which.BodyText.Should().Contain("\"id\":2");
    }

    [Fact]
    public async Task Filter_Invalid_IsRefused()
    {
        await using var host = await WebhookHost.StartAsync(b => b.AddEventType("backup.failed"), start: false);

        var act = () => host.Subscriptions.CreateAsync(null, new WebhookSubscriptionDefinition
        {
            Name = "x", Url = "https://example.com/h", Events = ["backup.failed"],
            Filter = new Dictionary<string, IReadOnlyList<string>> { ["severity"] = [] },
        });

        (await act.Should().ThrowAsync<WebhookValidationException>()).Which.Errors["filter"].Single().Should().Contain("1 to 50 allowed values");
    }
}

public sealed class BlockedTargetTests
{
    [Fact]
    public async Task BlockedTarget_FailsAfterOneAttemptWithoutRetries()
    {
        await using var host = await WebhookHost.StartAsync(b => b.AddEventType("order.created"), o => o.Network.AllowLoopback = false);
        var store = host.Services.GetRequiredService<IWebhookSubscriptionStore>();
        var now = DateTimeOffset.UtcNow;
        // Stored directly, as a row edited in a database would be: validation would refuse it.
        await store.CreateAsync(new WebhookSubscription
        {
            Id = "sub_blocked", Name = "blocked", Url = "http://localhost:1/hook", Events = ["order.created"],
            Secrets = [new WebhookSecret(WebhookSecret.Generate())], CreatedAt = now, UpdatedAt = now,
        }, default);

        await host.Publisher.PublishAsync("order.created", new { id = 1 });

        var failed = await DeliveryTests.WaitForStatus(host, "sub_blocked", WebhookDeliveryStatus.Failed);
        failed.AttemptCount.Should().Be(1, "a target the network policy refuses is not retried");
        var details = await host.Deliveries.GetDeliveryAsync(null, failed.Id);
        details!.Attempts.Single().ErrorKind.Should().Be(WebhookErrorKind.Blocked);
    }
}
