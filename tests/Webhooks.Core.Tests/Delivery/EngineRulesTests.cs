using System.Net.Http.Headers;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Webhooks.Core.Signing;
using Webhooks.Core.Tests.Infrastructure;

namespace Webhooks.Core.Tests.Delivery;

/// <summary>
/// The rules the engine keeps once for every store (issue 9's delivery defects): each test fails
/// on the engine before Engine v2.
/// </summary>
public sealed class EngineRulesTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task BinaryAnswer_IsDescribedNotCopied_SoEveryStoreCanRecordIt()
    {
        await using var receiver = await TestReceiver.StartAsync();
        receiver.Responder = async (ctx, n) =>
        {
            ctx.Response.StatusCode = n == 1 ? 500 : 200;
            ctx.Response.ContentType = n == 1 ? "application/gzip" : "text/plain; charset=utf-16";
            byte[] body = n == 1 ? [0x1f, 0x8b, 0x08, 0x00, 0xff, 0x00] : System.Text.Encoding.Unicode.GetBytes("ok");
            await ctx.Response.Body.WriteAsync(body);
        };
        await using var host = await WebhookHost.StartAsync(
            b => b.AddEventType("order.created"),
            services: s => s.AddSingleton<IWebhookDeliveryStore>(sp => new TextColumnStore(ActivatorUtilities.CreateInstance<InMemoryWebhookDeliveryStore>(sp))));
        var sub = await DeliveryTests.Subscribe(host, receiver.Url(), ["order.created"]);

        await host.Publisher.PublishAsync("order.created", new { id = 1 });

        var delivery = await DeliveryTests.WaitForStatus(host, sub.Subscription.Id, WebhookDeliveryStatus.Succeeded);
        var attempts = (await host.Deliveries.GetDeliveryAsync(null, delivery.Id))!.Attempts;
        attempts.Should().HaveCount(2);
        attempts[0].ResponseExcerpt.Should().StartWith("[binary answer: 6 bytes, application/gzip");
        attempts[1].ResponseExcerpt.Should().StartWith("[binary answer: 4 bytes");
        receiver.Requests.Should().HaveCount(2, "each attempt was recorded the first time");
    }

    [Theory]
    [InlineData("plain text", "plain text")]
    [InlineData("tab\tnew\nline\r", "tab\tnew\nline\r")]
    [InlineData("bell\u0007esc\u001b", "bell\uFFFDesc\uFFFD")]
    [InlineData("é ü 日本", "é ü 日本")]
    public void Excerpt_Text_KeepsPrintableAndReplacesStrayControls(string body, string expected)
        => WebhookSender.ToExcerpt(System.Text.Encoding.UTF8.GetBytes(body), "text/plain").Should().Be(expected);

    [Fact]
    public void Excerpt_CutInsideACharacter_IsStillText()
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes("ab日");
        WebhookSender.ToExcerpt(bytes.AsSpan(0, bytes.Length - 1), null).Should().StartWith("ab");
        WebhookSender.ToExcerpt([0xC3, 0x28], null).Should().StartWith("[binary answer", "invalid UTF-8 is not text");
    }

    [Fact]
    public async Task StoreRefusingTheAnswer_AttemptIsRecordedWithoutIt_AndNotSentAgain()
    {
        await using var receiver = await TestReceiver.StartAsync();
        receiver.Responder = async (ctx, _) => { ctx.Response.StatusCode = 200; await ctx.Response.Body.WriteAsync("poison"u8.ToArray()); };
        await using var host = await WebhookHost.StartAsync(
            b => b.AddEventType("order.created"),
            services: s => s.AddSingleton<IWebhookDeliveryStore>(sp => new TextColumnStore(ActivatorUtilities.CreateInstance<InMemoryWebhookDeliveryStore>(sp), refuse: "poison")));
        var sub = await DeliveryTests.Subscribe(host, receiver.Url(), ["order.created"]);

        await host.Publisher.PublishAsync("order.created", new { id = 1 });

        var delivery = await DeliveryTests.WaitForStatus(host, sub.Subscription.Id, WebhookDeliveryStatus.Succeeded);
        (await host.Deliveries.GetDeliveryAsync(null, delivery.Id))!.Attempts.Should().ContainSingle().Which.ResponseExcerpt.Should().BeNull();
        await Task.Delay(300);
        receiver.Requests.Should().ContainSingle();
    }

    [Fact]
    public async Task SignerThatThrows_DeliveryIsGivenUpAfterBoundedTries_WithAnAttemptSayingWhy()
    {
        var time = new FakeTimeProvider(T0);
        await using var receiver = await TestReceiver.StartAsync();
        await using var host = await WebhookHost.StartAsync(
            b => b.AddEventType("order.created").AddSigner<BrokenSigner>(),
            services: s => s.AddSingleton<TimeProvider>(time));
        var sub = await host.Subscriptions.CreateAsync(null, new WebhookSubscriptionDefinition { Name = "broken", Url = receiver.Url(), Events = ["order.created"], SignatureScheme = BrokenSigner.Name });

        await host.Publisher.PublishAsync("order.created", new { id = 1 });

        var failed = await Eventually.GetAsync(async () =>
        {
            time.Advance(TimeSpan.FromMinutes(5)); // past each back-off
            return (await host.Deliveries.GetDeliveriesAsync(null, sub.Subscription.Id))!.Items.FirstOrDefault(d => d.Status == WebhookDeliveryStatus.Failed);
        }, "the delivery to be given up");
        var attempt = (await host.Deliveries.GetDeliveryAsync(null, failed.Id))!.Attempts.Should().ContainSingle().Subject;
        attempt.ErrorKind.Should().Be(WebhookErrorKind.ProcessingFailed);
        attempt.Error.Should().Contain($"could not be processed {WebhookDeliveryProcessor.MaxProcessingTries} times").And.Contain("InvalidOperationException");
        receiver.Requests.Should().BeEmpty();
    }

    [Fact]
    public async Task MissingSigner_FailsAtOnceWithClearError_NotRetriedAsAConnectionFailure()
    {
        await using var receiver = await TestReceiver.StartAsync();
        await using var host = await WebhookHost.StartAsync(b => b.AddEventType("order.created"));
        var store = host.Services.GetRequiredService<IWebhookSubscriptionStore>();
        await store.CreateAsync(new WebhookSubscription { Id = "sub_gone", Name = "gone", Url = receiver.Url(), Events = ["order.created"], Secrets = [new(WebhookSecret.Generate())], SignatureScheme = "retired-scheme" }, default);

        await host.Publisher.PublishAsync("order.created", new { id = 1 });

        var failed = await DeliveryTests.WaitForStatus(host, "sub_gone", WebhookDeliveryStatus.Failed);
        failed.AttemptCount.Should().Be(1);
        var attempt = (await host.Deliveries.GetDeliveryAsync(null, failed.Id))!.Attempts.Single();
        attempt.ErrorKind.Should().Be(WebhookErrorKind.ProcessingFailed);
        attempt.Error.Should().Contain("No signer is registered for signature scheme 'retired-scheme'");
        receiver.Requests.Should().BeEmpty();
    }

    [Fact]
    public async Task SubscriptionBeingUpdated_NeverReadsAsMissing()
    {
        var store = new InMemoryWebhookSubscriptionStore();
        var s = await store.CreateAsync(new WebhookSubscription { Id = "sub_1", Name = "a", Url = "https://example.com/", Events = ["order.created"], Secrets = [new(WebhookSecret.Generate())] }, default);
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        int missing = 0, reads = 0;
        var reading = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var reader = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                if (await store.GetAsync("sub_1", default) is null)
                {
                    Interlocked.Increment(ref missing);
                }

                reads++;
                reading.TrySetResult();
            }
        });

        // The writer starts once the reader runs: on a busy machine the reader's thread could otherwise
        // be scheduled only after all the updates were done.
        await reading.Task.WaitAsync(stop.Token);
        for (int i = 0; i < 20_000; i++)
        {
            s = (await store.UpdateAsync(s with { Name = $"n{i % 7}", Events = i % 2 == 0 ? ["order.created"] : ["order.*", "*"] }, default))!;
        }

        await stop.CancelAsync();
        await reader;
        reads.Should().BeGreaterThan(0);
        missing.Should().Be(0, "an update swaps the subscription in one step");
        (await store.FindForEventAsync(null, ["order.created", "order.*", "*"], null, default)).Should().ContainSingle();
    }

    [Fact]
    public async Task LeaseTooShortToFinishTheAttempt_IsHandedBack_SoNothingIsSentTwice()
    {
        await using var receiver = await TestReceiver.StartAsync();
        receiver.Responder = async (ctx, _) => { await Task.Delay(1500); ctx.Response.StatusCode = 200; };
        var slow = new SlowFirstReadStore(new InMemoryWebhookSubscriptionStore(), TimeSpan.FromMilliseconds(2000));
        await using var host = await WebhookHost.StartAsync(
            b => b.AddEventType("order.created"),
            o => { o.LeaseDuration = TimeSpan.FromSeconds(3); o.AttemptTimeout = TimeSpan.FromSeconds(2.5); },
            s => s.AddSingleton<IWebhookSubscriptionStore>(slow));
        var sub = await DeliveryTests.Subscribe(host, receiver.Url(), ["order.created"]);
        slow.Arm();

        await host.Publisher.PublishAsync("order.created", new { id = 1 });

        await DeliveryTests.WaitForStatus(host, sub.Subscription.Id, WebhookDeliveryStatus.Succeeded);
        await Task.Delay(3000); // a second send under a taken-over lease would have arrived by now
        slow.SlowReads.Should().Be(1);
        receiver.Requests.Should().ContainSingle();
    }

    [Fact]
    public async Task EnablingAgain_StartsHealthy_OneTransientFailureDoesNotDisableAtOnce()
    {
        var time = new FakeTimeProvider(T0);
        await using var receiver = await TestReceiver.StartAsync();
        receiver.Responder = (ctx, _) => { ctx.Response.StatusCode = 503; return Task.CompletedTask; };
        await using var host = await WebhookHost.StartAsync(
            b => b.AddEventType("order.created"),
            o => o.RetrySchedule = [TimeSpan.FromHours(1)],
            s => s.AddSingleton<TimeProvider>(time));
        var created = await DeliveryTests.Subscribe(host, receiver.Url(), ["order.created"]);
        var store = host.Services.GetRequiredService<IWebhookSubscriptionStore>();
        var stored = (await store.GetAsync(created.Subscription.Id, default))!;
        await store.UpdateAsync(stored with { Active = false, DisabledReason = "Every attempt since … failed.", FailingSince = T0 - TimeSpan.FromDays(6) }, default);

        var enabled = await host.Subscriptions.SetActiveAsync(null, created.Subscription.Id, true);
        enabled!.FailingSince.Should().BeNull("enabling starts the subscription healthy");

        await host.Publisher.PublishAsync("order.created", new { id = 1 });
        await receiver.WaitForAsync(1);
        var after = await Eventually.GetAsync(async () => (await host.Subscriptions.GetAsync(null, created.Subscription.Id)) is { FailingSince: not null } s ? s : null, "the failure to be counted");
        after.Active.Should().BeTrue("one 503 right after enabling is not five days of failure");
        after.FailingSince.Should().Be(T0);
        (await host.Deliveries.GetDeliveriesAsync(null, created.Subscription.Id))!.Items.Single().Status.Should().Be(WebhookDeliveryStatus.Pending);

        var moved = await host.Subscriptions.UpdateAsync(null, created.Subscription.Id, new WebhookSubscriptionPatch { Url = receiver.Url("/new") });
        moved!.FailingSince.Should().BeNull("a new URL says nothing about the old one's failures");
    }

    [Fact]
    public async Task AttemptToAUrlChangedMeanwhile_DoesNotCountAgainstTheNewUrl()
    {
        await using var receiver = await TestReceiver.StartAsync();
        var sub = default(WebhookSubscriptionWithSecret);
        WebhookHost? host = null;
        receiver.Responder = async (ctx, _) =>
        {
            // The user points the subscription elsewhere while this attempt is in flight; then it fails.
            await host!.Subscriptions.UpdateAsync(null, sub!.Subscription.Id, new WebhookSubscriptionPatch { Url = receiver.Url("/elsewhere") });
            ctx.Response.StatusCode = 500;
        };
        await using var h = await WebhookHost.StartAsync(b => b.AddEventType("order.created"), o => o.RetrySchedule = [TimeSpan.FromHours(1)]);
        host = h;
        sub = await DeliveryTests.Subscribe(host, receiver.Url(), ["order.created"]);

        await host.Publisher.PublishAsync("order.created", new { id = 1 });
        await Eventually.TrueAsync(async () => (await host.Deliveries.GetDeliveriesAsync(null, sub.Subscription.Id))!.Items.Single().AttemptCount == 1, "the attempt to be recorded");

        await Task.Delay(200);
        (await host.Subscriptions.GetAsync(null, sub.Subscription.Id))!.FailingSince.Should().BeNull();
    }

    [Fact]
    public async Task IdempotencyWindow_IsMeasuredOnTheEngineClock_NotTheCallersTimestamp()
    {
        var time = new FakeTimeProvider(T0);
        await using var host = await WebhookHost.StartAsync(
            b => b.AddEventType("order.created"),
            o => o.IdempotencyWindow = TimeSpan.FromHours(1),
            s => s.AddSingleton<TimeProvider>(time),
            start: false);

        var future = await host.Publisher.PublishAsync("order.created", new { id = 1 }, new WebhookPublishOptions { IdempotencyKey = "k1", Timestamp = T0.AddYears(10) });
        var again = await host.Publisher.PublishAsync("order.created", new { id = 1 }, new WebhookPublishOptions { IdempotencyKey = "k1" });
        again.IsDuplicate.Should().BeTrue("a future timestamp does not bypass deduplication");
        again.MessageId.Should().Be(future.MessageId);

        await host.Publisher.PublishAsync("order.created", new { id = 2 }, new WebhookPublishOptions { IdempotencyKey = "k2", Timestamp = T0.AddYears(-1) });
        (await host.Publisher.PublishAsync("order.created", new { id = 2 }, new WebhookPublishOptions { IdempotencyKey = "k2" })).IsDuplicate.Should().BeTrue("a back-dated timestamp still deduplicates within the window");
        time.Advance(TimeSpan.FromHours(2));
        (await host.Publisher.PublishAsync("order.created", new { id = 2 }, new WebhookPublishOptions { IdempotencyKey = "k2", Timestamp = T0.AddYears(-1) })).IsDuplicate.Should().BeFalse("the window ended on the engine's clock");
    }

    [Fact]
    public async Task SecondRotationWithinGracePeriod_KeepsTheFirstOldSecretUntilItsOwnExpiry()
    {
        var time = new FakeTimeProvider(T0);
        await using var host = await WebhookHost.StartAsync(b => b.AddEventType("order.created"), o => o.SecretRotationGracePeriod = TimeSpan.FromHours(24), s => s.AddSingleton<TimeProvider>(time), start: false);
        var created = await host.Subscriptions.CreateAsync(null, new WebhookSubscriptionDefinition { Name = "r", Url = "http://127.0.0.1:9/", Events = ["order.created"] });
        var s0 = created.Secret;

        var s1 = (await host.Subscriptions.RotateSecretAsync(null, created.Subscription.Id))!.Secret;
        time.Advance(TimeSpan.FromHours(1));
        var rotated = (await host.Subscriptions.RotateSecretAsync(null, created.Subscription.Id))!;

        rotated.Subscription.Secrets.Select(x => x.Value).Should().Equal(rotated.Secret, s1, s0);
        rotated.Subscription.Secrets[2].ExpiresAt.Should().Be(T0.AddHours(24), "the first old secret keeps its own grace period");
        WebhookSigningSecrets.Active(rotated.Subscription.Secrets, time.GetUtcNow()).Should().Equal(rotated.Secret, s1, s0);
        WebhookSigningSecrets.Active(rotated.Subscription.Secrets, T0.AddHours(24.5)).Should().Equal(rotated.Secret, s1);
    }

    [Fact]
    public async Task DeletedSubscription_PendingDeliveryFailsUnsent_AndObserversAreTold()
    {
        await using var receiver = await TestReceiver.StartAsync();
        var observer = new DeliveryTests.RecordingObserver();
        await using var host = await WebhookHost.StartAsync(b => b.AddEventType("order.created"), services: s => s.AddSingleton<IWebhookObserver>(observer), start: false);
        var sub = await DeliveryTests.Subscribe(host, receiver.Url(), ["order.created"]);
        await host.Publisher.PublishAsync("order.created", new { id = 1 });
        var delivery = (await host.Deliveries.GetDeliveriesAsync(null))!.Items.Single();
        await host.Subscriptions.DeleteAsync(null, sub.Subscription.Id);

        await host.Host.StartAsync();

        var failed = await Eventually.GetAsync(async () => (await host.Deliveries.GetDeliveryAsync(null, delivery.Id)) is { Delivery.Status: WebhookDeliveryStatus.Failed } d ? d : null, "the delivery to fail");
        failed.Delivery.AttemptCount.Should().Be(0, "nothing was sent");
        failed.Attempts.Should().BeEmpty();
        failed.Delivery.LastError.Should().Contain("deleted");
        await Eventually.TrueAsync(() => Task.FromResult(observer.NotSent.Count == 1), "the observer to hear of it");
        receiver.Requests.Should().BeEmpty();
    }

    [Fact]
    public async Task InFlightCap_IsReleasedAndForgotten_OnceAttemptsFinish()
    {
        await using var receiver = await TestReceiver.StartAsync();
        await using var host = await WebhookHost.StartAsync(b => b.AddEventType("order.created"));
        await DeliveryTests.Subscribe(host, receiver.Url("/a"), ["order.created"]);
        await DeliveryTests.Subscribe(host, receiver.Url("/b"), ["order.created"]);

        for (int i = 0; i < 20; i++)
        {
            await host.Publisher.PublishAsync("order.created", new { id = i });
        }

        await receiver.WaitForAsync(40);
        var dispatcher = host.Services.GetRequiredService<WebhookDeliveryProcessor>();
        await Eventually.TrueAsync(() => Task.FromResult(dispatcher.InFlightEndpointCount == 0), "the in-flight map to empty");
    }

    [Fact]
    public async Task InFlightCap_UnderContention_NeverExceeded_AndTheMapEmptiesAfterwards()
    {
        await using var host = await WebhookHost.StartAsync(b => b.AddEventType("order.created"), o => { o.MaxConnectionsPerEndpoint = 3; o.Dispatcher.Enabled = false; });
        var processor = host.Services.GetRequiredService<WebhookDeliveryProcessor>();
        int inside = 0, most = 0, entered = 0;
        var endpoints = new[] { "http://a:80", "http://b:80" };
        await Task.WhenAll(Enumerable.Range(0, 8).Select(t => Task.Run(() =>
        {
            for (int i = 0; i < 20_000; i++)
            {
                var endpoint = endpoints[0]; // one endpoint: the most contention
                if (!processor.TryEnterEndpoint(endpoint))
                {
                    continue;
                }

                int now = Interlocked.Increment(ref inside);
                InterlockedMax(ref most, now);
                Interlocked.Increment(ref entered);
                Interlocked.Decrement(ref inside);
                processor.ExitEndpoint(endpoint);
            }
        })));

        most.Should().BeLessThanOrEqualTo(3, "the cap holds while counts are retired and replaced");
        entered.Should().BeGreaterThan(0);
        processor.InFlightEndpointCount.Should().Be(0, "an endpoint with nothing in flight leaves the map");
        processor.TryEnterEndpoint(endpoints[1]).Should().BeTrue();
        processor.InFlightEndpointCount.Should().Be(1);
        processor.ExitEndpoint(endpoints[1]);
        processor.InFlightEndpointCount.Should().Be(0);

        static void InterlockedMax(ref int target, int value)
        {
            int seen;
            while ((seen = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, seen) != seen)
            {
            }
        }
    }

    [Fact]
    public async Task Retention_RemovesOldFinishedHistoryAndItsCounts_KeepsPending()
    {
        var time = new FakeTimeProvider(T0);
        var options = Options.Create(new WebhookOptions { RetentionPeriod = TimeSpan.FromDays(30), RetentionBatchSize = 2 });
        var store = new InMemoryWebhookDeliveryStore(options, time);
        var message = new WebhookMessage { Id = "msg_1", EventType = "e", Timestamp = T0, CreatedAt = T0, Payload = "{}"u8.ToArray() };
        await store.EnqueueAsync(message, [.. Enumerable.Range(0, 5).Select(i => new WebhookDelivery { Id = $"dlv_{i}", MessageId = "msg_1", SubscriptionId = "sub_1", EventType = "e", CreatedAt = T0 })], null, default);
        foreach (var lease in (await store.LeaseAsync(4, TimeSpan.FromMinutes(1), default)))
        {
            await store.CompleteAttemptAsync(lease, new WebhookAttempt { Number = 1, StartedAt = T0, StatusCode = 200 }, new(WebhookDeliveryStatus.Succeeded), default);
        }

        time.Advance(TimeSpan.FromDays(31));
        var service = new WebhookRetentionService(store, options, time, Microsoft.Extensions.Logging.Abstractions.NullLogger<WebhookRetentionService>.Instance);
        (await service.RunOnceAsync(store, default)).Should().Be(4);

        (await store.QueryAsync(new WebhookDeliveryQuery(null, Limit: 10), default)).Items.Should().ContainSingle().Which.Status.Should().Be(WebhookDeliveryStatus.Pending);
        var stats = await store.GetStatsAsync(WebhookDeliveryManager.Buckets(null, "sub_1", T0.AddMinutes(5), TimeSpan.FromHours(1), TimeSpan.FromMinutes(10)), default);
        stats.Sum(b => b.Succeeded).Should().Be(0, "counts older than the retention period go with the history");
    }

    [Theory]
    [InlineData("2026-01-01T12:34:56Z", 60, 10, "2026-01-01T11:30:00Z", 7)]
    [InlineData("2026-01-01T12:00:00Z", 60, 60, "2026-01-01T11:00:00Z", 2)]
    [InlineData("2026-01-01T00:00:30Z", 1440, 60, "2025-12-31T00:00:00Z", 25)]
    public void StatsBuckets_AreEpochAlignedWholeMinutes_UpToTheCurrentMinute(string now, int windowMinutes, int bucketMinutes, string firstStart, int count)
    {
        var q = WebhookDeliveryManager.Buckets("o", null, DateTimeOffset.Parse(now, System.Globalization.CultureInfo.InvariantCulture), TimeSpan.FromMinutes(windowMinutes), TimeSpan.FromMinutes(bucketMinutes));

        q.Start.Should().Be(DateTimeOffset.Parse(firstStart, System.Globalization.CultureInfo.InvariantCulture));
        q.BucketCount.Should().Be(count);
        q.BucketWidth.Should().Be(TimeSpan.FromMinutes(bucketMinutes));
    }

    /// <summary>A signer that always throws, as a misconfigured key store would.</summary>
    private sealed class BrokenSigner : IWebhookSigner
    {
        public const string Name = "broken-signer";

        public string Scheme => Name;

        public void Sign(WebhookSigningContext context, HttpRequestHeaders headers) => throw new InvalidOperationException("the key vault is unreachable");
    }

    /// <summary>Refuses what a text column refuses (NUL), and optionally a marker string: as a database would.</summary>
    private sealed class TextColumnStore(InMemoryWebhookDeliveryStore inner, string? refuse = null)
        : IWebhookDeliveryStore, IWebhookDeliveryLog
    {
        public Task<WebhookEnqueueResult> EnqueueAsync(WebhookMessage message, IReadOnlyList<WebhookDelivery> deliveries, WebhookEnqueueContext? context, CancellationToken cancellationToken)
            => inner.EnqueueAsync(message, deliveries, context, cancellationToken);

        public Task<IReadOnlyList<WebhookLease>> LeaseAsync(int maxCount, TimeSpan leaseDuration, CancellationToken cancellationToken)
            => inner.LeaseAsync(maxCount, leaseDuration, cancellationToken);

        public Task<bool> CompleteAttemptAsync(WebhookLease lease, WebhookAttempt? attempt, WebhookDeliveryTransition transition, CancellationToken cancellationToken)
        {
            foreach (var text in new[] { attempt?.ResponseExcerpt, attempt?.Error, transition.Reason })
            {
                if (text is not null && (text.Contains('\0', StringComparison.Ordinal) || (refuse is not null && text.Contains(refuse, StringComparison.Ordinal))))
                {
                    throw new ArgumentException("invalid byte sequence for encoding \"UTF8\": 0x00");
                }
            }

            return inner.CompleteAttemptAsync(lease, attempt, transition, cancellationToken);
        }

        public Task<bool> ReleaseAsync(WebhookLease lease, TimeSpan delay, CancellationToken cancellationToken)
            => inner.ReleaseAsync(lease, delay, cancellationToken);

        public Task<WebhookPage<WebhookDelivery>> QueryAsync(WebhookDeliveryQuery query, CancellationToken cancellationToken)
            => inner.QueryAsync(query, cancellationToken);

        public Task<WebhookDeliveryDetails?> GetAsync(string deliveryId, CancellationToken cancellationToken)
            => inner.GetAsync(deliveryId, cancellationToken);
    }

    /// <summary>A subscription store whose first read after <see cref="Arm"/> is slow, as a database under load can be.</summary>
    private sealed class SlowFirstReadStore(IWebhookSubscriptionStore inner, TimeSpan delay) : IWebhookSubscriptionStore
    {
        private int _armed;

        public int SlowReads { get; private set; }

        public void Arm() => Volatile.Write(ref _armed, 1);

        public async Task<WebhookSubscription?> GetAsync(string id, CancellationToken cancellationToken)
        {
            if (Interlocked.Exchange(ref _armed, 0) == 1)
            {
                SlowReads++;
                await Task.Delay(delay, cancellationToken);
            }

            return await inner.GetAsync(id, cancellationToken);
        }

        public Task<WebhookSubscription> CreateAsync(WebhookSubscription subscription, CancellationToken cancellationToken) => inner.CreateAsync(subscription, cancellationToken);

        public Task<WebhookPage<WebhookSubscription>> ListAsync(WebhookSubscriptionQuery query, CancellationToken cancellationToken) => inner.ListAsync(query, cancellationToken);

        public Task<IReadOnlyList<WebhookSubscription>> FindForEventAsync(string? owner, IReadOnlyList<string> patterns, WebhookEnqueueContext? context, CancellationToken cancellationToken) => inner.FindForEventAsync(owner, patterns, context, cancellationToken);

        public Task<WebhookSubscription?> UpdateAsync(WebhookSubscription subscription, CancellationToken cancellationToken) => inner.UpdateAsync(subscription, cancellationToken);

        public Task<bool> DeleteAsync(string id, long? expectedVersion, CancellationToken cancellationToken) => inner.DeleteAsync(id, expectedVersion, cancellationToken);
    }
}
