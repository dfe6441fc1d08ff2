using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Webhooks.Core.Delivery;
using Webhooks.Core.Security;
using Webhooks.Core.Subscriptions;
using Webhooks.Core.Tests.Delivery;
using Webhooks.Core.Tests.Infrastructure;

namespace Webhooks.Core.Tests.Security;

public sealed class SecretHandlingTests
{
    private const string Secret = "whsec_c2VjcmV0LXNpZ25pbmcta2V5LTAxMjM0NTY3ODk=";
    private const string BearerToken = "bearer-token-7f3a9c2e5d";
    private const string BasicPassword = "basic-password-4b8e1f6a";
    private const string ApiKey = "api-key-value-9d2c7e3b";

    [Fact]
    public async Task Lifecycle_CreateDeliverFailTestSendRotate_NoSecretOrAuthValueInAnyLogOrError()
    {
        var logs = new CapturingLoggerProvider();
        await using var receiver = await TestReceiver.StartAsync();
        receiver.Responder = (ctx, _) =>
        {
            ctx.Response.StatusCode = ctx.Request.Path.StartsWithSegments("/fail") ? 500 : ctx.Request.Path.StartsWithSegments("/gone") ? 410 : 200;
            return Task.CompletedTask;
        };
        await using var host = await WebhookHost.StartAsync(
            b => b.AddEventType("order.created"),
            services: s => s.AddLogging(l => l.SetMinimumLevel(LogLevel.Trace).AddProvider(logs)));
        var errors = new List<string>();

        var bearer = await host.Subscriptions.CreateAsync(null, new WebhookSubscriptionDefinition { Name = "bearer", Url = receiver.Url("/ok"), Events = ["order.created"], Secret = Secret, Auth = WebhookAuth.Bearer(BearerToken) });
        var basic = await host.Subscriptions.CreateAsync(null, new WebhookSubscriptionDefinition { Name = "basic", Url = receiver.Url("/fail"), Events = ["order.created"], Auth = WebhookAuth.Basic("user", BasicPassword) });
        var apiKey = await host.Subscriptions.CreateAsync(null, new WebhookSubscriptionDefinition { Name = "apikey", Url = receiver.Url("/gone"), Events = ["order.created"], Auth = WebhookAuth.ApiKey("X-Api-Key", ApiKey) });
        await host.Publisher.PublishAsync("order.created", new { id = 1 });
        await DeliveryTests.WaitForStatus(host, bearer.Subscription.Id, WebhookDeliveryStatus.Succeeded);
        await DeliveryTests.WaitForStatus(host, basic.Subscription.Id, WebhookDeliveryStatus.Failed);
        await DeliveryTests.WaitForStatus(host, apiKey.Subscription.Id, WebhookDeliveryStatus.Failed);
        var rotated = await host.Subscriptions.RotateSecretAsync(null, bearer.Subscription.Id);
        var attempts = new List<WebhookAttempt?>
        {
            await host.TestSender.SendAsync(null, bearer.Subscription.Id),
            await host.TestSender.SendAsync(null, basic.Subscription.Id),
            await host.TestSender.SendAsync(new WebhookTestTarget { Url = receiver.Url("/fail"), Secret = Secret, Auth = WebhookAuth.Bearer(BearerToken) }),
            await host.TestSender.SendAsync(new WebhookTestTarget { Url = "http://127.0.0.1:1/unreachable", Secret = Secret, Auth = WebhookAuth.ApiKey("X-Api-Key", ApiKey) }),
        };
        foreach (var bad in new Func<Task>[]
        {
            () => host.Subscriptions.CreateAsync(null, new WebhookSubscriptionDefinition { Name = "x", Url = receiver.Url(), Events = ["order.created"], Secret = Secret + "!" }),
            () => host.Subscriptions.CreateAsync(null, new WebhookSubscriptionDefinition { Name = "x", Url = receiver.Url(), Events = ["order.created"], Auth = WebhookAuth.Bearer(BearerToken + "\u00e9") }),
            () => host.Subscriptions.CreateAsync(null, new WebhookSubscriptionDefinition { Name = "x", Url = receiver.Url(), Events = ["order.created"], Auth = WebhookAuth.Basic("user", BasicPassword + new string('x', 300)) }),
            () => host.Subscriptions.CreateAsync(null, new WebhookSubscriptionDefinition { Name = "x", Url = "http://10.0.0.1/", Events = ["order.created"], Auth = WebhookAuth.ApiKey("X-Api-Key", ApiKey) }),
            () => host.Subscriptions.RotateSecretAsync(null, bearer.Subscription.Id, Secret[..12]),
        })
        {
            try
            {
                await bad();
            }
            catch (WebhookException ex)
            {
                errors.Add(ex.ToString());
            }
        }

        var secrets = new[] { Secret, rotated!.Secret, basic.Secret, apiKey.Secret, BearerToken, BasicPassword, ApiKey, Convert.ToBase64String(Encoding.ASCII.GetBytes("user:" + BasicPassword)) };
        logs.Entries.Should().NotBeEmpty("the dispatcher logs at Debug; the test must see them");
        errors.Should().HaveCount(5);
        var everything = logs.Entries.Concat(errors)
            .Concat(attempts.Select(a => a?.Error + " " + a?.ResponseExcerpt))
            .Concat((await host.Subscriptions.ListAsync(null)).Items.Select(s => s.ToString() + s.Auth + string.Join(",", s.Secrets)))
            .ToList();
        foreach (var secret in secrets)
        {
            var core = secret.StartsWith("whsec_", StringComparison.Ordinal) ? secret[6..] : secret;
            everything.Where(text => text.Contains(core, StringComparison.Ordinal)).Should().BeEmpty($"'{secret[..6]}…' must never be written anywhere");
        }
    }

    [Fact]
    public async Task ReadApis_MaskSecretsAndAuth_CreateAndRotateShowThemOnce()
    {
        await using var host = await WebhookHost.StartAsync(b => b.AddEventType("order.created"), start: false);
        var created = await host.Subscriptions.CreateAsync(null, new WebhookSubscriptionDefinition { Name = "m", Url = "https://public.example/h", Events = ["order.created"], Secret = Secret, Auth = WebhookAuth.Basic("user", BasicPassword) });
        var id = created.Subscription.Id;

        created.Secret.Should().Be(Secret);
        var rotated = await host.Subscriptions.RotateSecretAsync(null, id);
        rotated!.Secret.Should().StartWith("whsec_").And.NotBe(Secret);
        var reads = new List<WebhookSubscription>
        {
            (await host.Subscriptions.GetAsync(null, id))!,
            (await host.Subscriptions.ListAsync(null)).Items.Single(),
            (await host.Subscriptions.UpdateAsync(null, id, new WebhookSubscriptionPatch { Description = "d" }))!,
            (await host.Subscriptions.SetActiveAsync(null, id, false))!,
        };

        foreach (var s in reads)
        {
            s.Secrets.Should().HaveCount(2).And.OnlyContain(x => x.Value.StartsWith("whsec_…") && x.Value.Length <= 11);
            s.Auth.Secret.Should().Be("****");
            s.Auth.Username.Should().Be("user");
        }

        created.Subscription.ToString().Should().NotContain(Secret[6..]).And.NotContain(BasicPassword);
        new WebhookSecret(Secret).ToString().Should().NotContain(Secret[6..]);
        WebhookAuth.Bearer(BearerToken).ToString().Should().NotContain(BearerToken);
    }

    public static TheoryData<string?, string?> SecretFormats => new()
    {
        { null, "must start with 'whsec_'" },
        { "", "must start with 'whsec_'" },
        { "c2VjcmV0", "must start with 'whsec_'" },
        { "WHSEC_" + Convert.ToBase64String(new byte[32]), "must start with 'whsec_'" },
        { "whsk_" + Convert.ToBase64String(new byte[32]), "must start with 'whsec_'" },
        { " whsec_" + Convert.ToBase64String(new byte[32]), "must start with 'whsec_'" },
        { "whsec_", "holds 0 bytes" },
        { "whsec_not base64!", "not valid base64" },
        { "whsec_" + Convert.ToBase64String(new byte[32]) + "!", "not valid base64" },
        { "whsec_" + Convert.ToBase64String(new byte[16]), "holds 16 bytes; use 24 to 64" },
        { "whsec_" + Convert.ToBase64String(new byte[23]), "holds 23 bytes; use 24 to 64" },
        { "whsec_" + Convert.ToBase64String(new byte[65]), "holds 65 bytes; use 24 to 64" },
        { "whsec_" + Convert.ToBase64String(new byte[24]), null },
        { "whsec_" + Convert.ToBase64String(new byte[32]), null },
        { "whsec_" + Convert.ToBase64String(new byte[64]), null },
        { "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", null },
    };

    [Theory]
    [MemberData(nameof(SecretFormats))]
    public void Validate_UserSuppliedSecret_ChecksPrefixEncodingAndLength(string? secret, string? problem)
    {
        var result = WebhookSecret.Validate(secret);

        if (problem is null)
        {
            result.Should().BeNull();
        }
        else
        {
            result.Should().Contain(problem);
            if (secret is { Length: > 10 })
            {
                result.Should().NotContain(secret[6..], "the message never echoes the secret");
            }
        }
    }

    [Fact]
    public void Generate_UsesCsprngBytes_UniqueAndValid()
    {
        var secrets = Enumerable.Range(0, 2000).Select(_ => WebhookSecret.Generate()).ToList();

        secrets.Should().OnlyHaveUniqueItems();
        secrets.Should().OnlyContain(s => WebhookSecret.Validate(s) == null && WebhookSecret.TryDecode(s)!.Length == 32);
        // 64,000 random bytes: every byte value turns up (a broken generator of zeros or a counter would not).
        secrets.SelectMany(s => WebhookSecret.TryDecode(s)!).Distinct().Should().HaveCount(256);
    }

    [Fact]
    public async Task Protector_ProtectSecrets_LeavesNoPlaintextAndRoundTrips()
    {
        var protector = new AesGcmProtector(RandomNumberGenerator.GetBytes(32));
        var subscription = Subscription(WebhookAuth.ApiKey("X-Api-Key", ApiKey));

        var inner = new InMemoryWebhookSubscriptionStore();
        var store = new ProtectedSubscriptionStore(inner, protector);
        await store.CreateAsync(subscription, default);
        var stored = (await inner.GetAsync(subscription.Id, default))!;
        var read = (await store.GetAsync(subscription.Id, default))!;

        stored.ToString().Should().NotContain(Secret[6..]);
        var plain = Secret[6..];
        stored.Secrets.Should().OnlyContain(s => !s.Value.Contains(plain) && !s.Value.Contains("cHJldmlvdXM"));
        stored.Auth.Secret.Should().NotContain(ApiKey);
        stored.Auth.HeaderName.Should().Be("X-Api-Key");
        stored.Url.Should().Be(subscription.Url);
        read.Secrets.Should().BeEquivalentTo(subscription.Secrets);
        read.Auth.Should().Be(subscription.Auth);
    }

    [Fact]
    public async Task Protector_UnprotectWithOtherKey_ThrowsWebhookExceptionWithoutTheValue()
    {
        var inner = new InMemoryWebhookSubscriptionStore();
        var subscription = Subscription(WebhookAuth.Bearer(BearerToken));
        await new ProtectedSubscriptionStore(inner, new AesGcmProtector(RandomNumberGenerator.GetBytes(32))).CreateAsync(subscription, default);
        var stored = (await inner.GetAsync(subscription.Id, default))!;

        var act = () => new ProtectedSubscriptionStore(inner, new AesGcmProtector(RandomNumberGenerator.GetBytes(32))).GetAsync(subscription.Id, default);

        var error = (await act.Should().ThrowAsync<WebhookException>()).Which;
        error.Message.Should().Contain("sub_protect").And.Contain("could not be unprotected");
        error.ToString().Should().NotContain(stored.Secrets[0].Value).And.NotContain(BearerToken);
    }

    [Fact]
    public async Task Protector_DefaultIsIdentity_AndAppsOwnWins()
    {
        await using var plain = await WebhookHost.StartAsync(b => b.AddEventType("a"), start: false);
        var mine = new AesGcmProtector(new byte[32]);
        await using var custom = await WebhookHost.StartAsync(b => b.AddEventType("a"), services: s => s.AddSingleton<IWebhookSecretProtector>(mine), start: false);

        plain.Services.GetRequiredService<IWebhookSecretProtector>().Protect(Secret).Should().Be(Secret);
        custom.Services.GetRequiredService<IWebhookSecretProtector>().Should().BeSameAs(mine);
    }

    private static WebhookSubscription Subscription(WebhookAuth auth) => new()
    {
        Id = "sub_protect",
        Name = "p",
        Url = "https://public.example/h",
        Events = ["order.created"],
        Secrets = [new WebhookSecret(Secret), new WebhookSecret("whsec_cHJldmlvdXMtc2VjcmV0LXZhbHVlLTAxMjM0NQ==", DateTimeOffset.UtcNow)],
        Auth = auth,
    };

    /// <summary>A real protector (AES-GCM, random nonce), as a store author would write one.</summary>
    private sealed class AesGcmProtector(byte[] key) : IWebhookSecretProtector
    {
        public string Protect(string plaintext)
        {
            var data = Encoding.UTF8.GetBytes(plaintext);
            var output = new byte[12 + 16 + data.Length];
            RandomNumberGenerator.Fill(output.AsSpan(0, 12));
            using var aes = new AesGcm(key, 16);
            aes.Encrypt(output.AsSpan(0, 12), data, output.AsSpan(28), output.AsSpan(12, 16));
            return Convert.ToBase64String(output);
        }

        public string Unprotect(string protectedValue)
        {
            var input = Convert.FromBase64String(protectedValue);
            var data = new byte[input.Length - 28];
            using var aes = new AesGcm(key, 16);
            aes.Decrypt(input.AsSpan(0, 12), input.AsSpan(28), input.AsSpan(12, 16), data);
            return Encoding.UTF8.GetString(data);
        }
    }

    /// <summary>Keeps every log entry at every level: message, exception and each structured value.</summary>
    private sealed class CapturingLoggerProvider : ILoggerProvider
    {
        public ConcurrentQueue<string> Entries { get; } = new();

        public ILogger CreateLogger(string categoryName) => new Logger(this);

        public void Dispose()
        {
        }

        private sealed class Logger(CapturingLoggerProvider owner) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull
            {
                owner.Entries.Enqueue("scope " + state);
                return null;
            }

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                var values = state is IEnumerable<KeyValuePair<string, object?>> kv ? string.Join(" ", kv.Select(p => $"{p.Key}={p.Value}")) : "";
                owner.Entries.Enqueue($"{logLevel} {formatter(state, exception)} {values} {exception}");
            }
        }
    }
}
