using Microsoft.Playwright;
using Webhooks.Core.Tests.Infrastructure;

namespace Webhooks.AspNetCore.Portal.Tests.Infrastructure;

/// <summary>
/// One headless Chromium (the Debian package, driven by Playwright) and one app for every browser
/// test: each test opens its own browser context (its own cookies) and works as its own owner, so
/// tests do not see each other's webhooks. Starting them once keeps the project fast.
/// </summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    public const string ChromiumPath = "/usr/bin/chromium";

    private IPlaywright? _playwright;

    public IBrowser Browser { get; private set; } = null!;

    public PortalHost Host { get; private set; } = null!;

    public TestReceiver Receiver { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        if (!File.Exists(ChromiumPath))
        {
            throw new InvalidOperationException($"{ChromiumPath} is missing: install the Debian packages 'chromium' and 'chromium-driver' (bash scripts/test.sh does).");
        }

        Assertions.SetDefaultExpectTimeout(20_000);
        var host = PortalHost.StartAsync();
        var receiver = TestReceiver.StartAsync();
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
            Timeout = 60_000,
        });
        Host = await host;
        Receiver = await receiver;
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.CloseAsync();
        }

        _playwright?.Dispose();
        if (Receiver is not null)
        {
            await Receiver.DisposeAsync();
        }

        if (Host is not null)
        {
            await Host.DisposeAsync();
        }
    }

    /// <summary>A fresh browser context (no cookies) and page; console errors and CSP reports are collected in <paramref name="problems"/>.</summary>
    public async Task<IPage> NewPageAsync(List<string> problems, int width = 1280, int height = 900)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            ViewportSize = new ViewportSize { Width = width, Height = height },
            BaseURL = Host.BaseUrl,
        });
        // Upper bounds, not expectations: generous because CI machines are shared and busy.
        context.SetDefaultTimeout(30_000);
        var page = await context.NewPageAsync();
        page.Console += (_, message) =>
        {
            // The browser reports every 4xx answer as a console error; those the page expects (a
            // validation error, a refused link) are shown to the person, so only other messages count.
            if (message.Type is "error" or "warning" && !message.Text.StartsWith("Failed to load resource: the server responded with a status of 4", StringComparison.Ordinal))
            {
                problems.Add(message.Text);
            }
        };
        page.PageError += (_, error) => problems.Add("page error: " + error);
        page.Dialog += async (_, dialog) =>
        {
            problems.Add("unexpected dialog: " + dialog.Message);   // an alert() here would be script injection
            await dialog.DismissAsync();
        };
        return page;
    }

    public static async Task ScreenshotAsync(IPage page, string name, bool fullPage = true)
    {
        var dir = Path.Combine(RepoRoot(), "artifacts", "screenshots");
        Directory.CreateDirectory(dir);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(dir, name + ".png"), FullPage = fullPage });
    }

    public static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Webhooks.Core.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Webhooks.Core.sln not found above " + AppContext.BaseDirectory);
    }
}

[CollectionDefinition(Name)]
public sealed class BrowserCollection : ICollectionFixture<BrowserFixture>
{
    public const string Name = "browser";
}
