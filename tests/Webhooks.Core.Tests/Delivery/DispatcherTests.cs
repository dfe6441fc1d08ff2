using Microsoft.Extensions.DependencyInjection;
using Webhooks.Core.Tests.Infrastructure;

namespace Webhooks.Core.Tests.Delivery;

/// <summary>Dispatchers plug into any host: the hosted loop can be switched off, and dispatch-once drives the same work.</summary>
public sealed class DispatcherTests
{
    private static Task<WebhookHost> PublishOnlyHost(Action<WebhookOptions>? options = null) => WebhookHost.StartAsync(
        b => b.AddEventType("order.created"),
        o =>
        {
            o.Dispatcher.Enabled = false;
            o.RetrySchedule = [TimeSpan.FromHours(1)];
            options?.Invoke(o);
        });

    [Fact]
    public async Task DispatcherDisabled_DeliveriesWaitPending_TestSendsStayImmediate()
    {
        await using var receiver = await TestReceiver.StartAsync();
        await using var host = await PublishOnlyHost();
        var sub = await DeliveryTests.Subscribe(host, receiver.Url(), ["order.created"]);

        await host.Publisher.PublishAsync("order.created", new { id = 1 });
        await Task.Delay(500);

        receiver.Requests.Should().BeEmpty("a publish-only instance sends no queued delivery");
        (await host.Deliveries.GetDeliveriesAsync(null, sub.Subscription.Id))!.Items.Should().ContainSingle().Which.Status.Should().Be(WebhookDeliveryStatus.Pending);
        (await host.TestSender.SendAsync(null, sub.Subscription.Id))!.Succeeded.Should().BeTrue("a test send is a user's click");
        receiver.Requests.Should().ContainSingle().Which.BodyText.Should().Contain("webhook.test");
    }

    [Fact]
    public async Task DispatchOnce_SendsEverythingDue_AndSaysWhatItDid()
    {
        await using var ok = await TestReceiver.StartAsync();
        await using var failing = await TestReceiver.StartAsync();
        failing.Responder = (ctx, _) => { ctx.Response.StatusCode = 500; return Task.CompletedTask; };
        await using var host = await PublishOnlyHost();
        await DeliveryTests.Subscribe(host, ok.Url(), ["order.created"]);
        await DeliveryTests.Subscribe(host, failing.Url(), ["order.created"]);
        for (int i = 0; i < 5; i++)
        {
            await host.Publisher.PublishAsync("order.created", new { id = i });
        }

        var result = await host.Services.GetRequiredService<IWebhookDispatcher>().DispatchAsync(TimeSpan.FromSeconds(30));

        result.Leased.Should().Be(10);
        result.Succeeded.Should().Be(5);
        result.Retrying.Should().Be(5);
        result.Sent.Should().Be(10);
        result.Released.Should().Be(0);
        result.MoreDue.Should().BeFalse("it stopped because nothing was due");
        ok.Requests.Should().HaveCount(5);
        failing.Requests.Should().HaveCount(5);
        (await host.Services.GetRequiredService<IWebhookDispatcher>().DispatchAsync(TimeSpan.FromSeconds(30))).Leased.Should().Be(0, "the retries are an hour away");
    }

    [Fact]
    public async Task DispatchOnce_SeveralCallersAtOnce_NeverSendADeliveryTwice()
    {
        await using var receiver = await TestReceiver.StartAsync();
        receiver.Responder = async (ctx, _) => { await Task.Delay(20); ctx.Response.StatusCode = 204; };
        await using var host = await PublishOnlyHost(o => o.MaxConcurrentDeliveries = 4);
        await DeliveryTests.Subscribe(host, receiver.Url(), ["order.created"]);
        for (int i = 0; i < 60; i++)
        {
            await host.Publisher.PublishAsync("order.created", new { id = i });
        }

        var dispatcher = host.Services.GetRequiredService<IWebhookDispatcher>();
        var results = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => Task.Run(() => dispatcher.DispatchAsync(TimeSpan.FromSeconds(60)))));

        results.Sum(r => r.Succeeded).Should().Be(60);
        receiver.Requests.Should().HaveCount(60);
        receiver.Requests.Select(r => r.Header("webhook-id")).Should().OnlyHaveUniqueItems();
    }

    [Fact]
    public async Task DispatchOnce_TimeLimitReached_HandsBackWhatItDidNotStart_NextCallSendsIt()
    {
        await using var receiver = await TestReceiver.StartAsync();
        receiver.Responder = async (ctx, _) => { await Task.Delay(1000); ctx.Response.StatusCode = 200; };
        await using var host = await PublishOnlyHost(o =>
        {
            o.MaxConcurrentDeliveries = 2;
            o.AttemptTimeout = TimeSpan.FromSeconds(3); // an attempt may take 3 s; with the 1 s margin, 4 s must be left to start one
            o.LeaseDuration = TimeSpan.FromMinutes(5); // an expired lease would not explain the next call's success
        });
        await DeliveryTests.Subscribe(host, receiver.Url(), ["order.created"]);
        for (int i = 0; i < 6; i++)
        {
            await host.Publisher.PublishAsync("order.created", new { id = i });
        }

        var dispatcher = host.Services.GetRequiredService<IWebhookDispatcher>();

        var tooShort = await dispatcher.DispatchAsync(TimeSpan.FromSeconds(2));
        tooShort.Leased.Should().Be(0, "no attempt fits in 2 s when one may take 3 s");
        tooShort.MoreDue.Should().BeTrue();

        var first = await dispatcher.DispatchAsync(TimeSpan.FromSeconds(4.5));
        first.Sent.Should().Be(2, "two attempts fit; when their slots free up, less than an attempt's time is left");
        first.Released.Should().Be(2, "the next batch was leased but not started");
        first.MoreDue.Should().BeTrue();

        var next = await dispatcher.DispatchAsync(TimeSpan.FromSeconds(60));
        next.Sent.Should().Be(4, "handed-back leases are due again at once");
        receiver.Requests.Select(r => r.Header("webhook-id")).Should().HaveCount(6).And.OnlyHaveUniqueItems();
    }

    [Fact]
    public async Task DispatchOnce_Cancelled_CutsAttemptsShortAndLosesNothing()
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
        await using var host = await PublishOnlyHost();
        var sub = await DeliveryTests.Subscribe(host, receiver.Url(), ["order.created"]);
        await host.Publisher.PublishAsync("order.created", new { id = 1 });
        var dispatcher = host.Services.GetRequiredService<IWebhookDispatcher>();

        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));
        var cut = await dispatcher.DispatchAsync(TimeSpan.FromSeconds(60), cts.Token);

        cut.Released.Should().Be(1);
        var pending = (await host.Deliveries.GetDeliveriesAsync(null, sub.Subscription.Id))!.Items.Single();
        pending.Status.Should().Be(WebhookDeliveryStatus.Pending);
        pending.AttemptCount.Should().Be(0, "the cut-short attempt is not counted");
        (await dispatcher.DispatchAsync(TimeSpan.FromSeconds(30))).Succeeded.Should().Be(1);
    }

    [Fact]
    public async Task NoDispatcherRunning_DeliveriesWait_ThenGoOutInDueOrder()
    {
        await using var receiver = await TestReceiver.StartAsync();
        await using var host = await PublishOnlyHost(o => o.MaxConcurrentDeliveries = 1);
        await DeliveryTests.Subscribe(host, receiver.Url(), ["order.created"]);
        for (int i = 0; i < 5; i++)
        {
            await host.Publisher.PublishAsync("order.created", new { seq = i });
        }

        await Task.Delay(300);
        receiver.Requests.Should().BeEmpty();

        await host.Services.GetRequiredService<IWebhookDispatcher>().DispatchAsync(TimeSpan.FromSeconds(30));

        receiver.Requests.Select(r => r.BodyText).Should().SatisfyRespectively(
            Enumerable.Range(0, 5).Select(i => (Action<string>)(body => body.Should().Contain($"\"seq\":{i}"))));
    }
}
