// Several servers behind one address (scripts/cluster.sh: PostgreSQL, Redis, three
// nodes, nginx): two people whose pages are served by different nodes chat and see
// each other online. scripts/test.sh starts the cluster and names it in CLUSTER_URL
// (nginx) and CLUSTER_NODE_URLS (the nodes themselves).
import { expect, test } from "@playwright/test";
import { message, person, send, unique } from "./support";

const front = process.env.CLUSTER_URL;
const nodes = (process.env.CLUSTER_NODE_URLS ?? "").split(",").filter(Boolean);

test.describe("several servers", () => {
  test.skip(!front || nodes.length < 2, "no cluster: scripts/test.sh starts one with scripts/cluster.sh");

  test("one person through nginx and one on a node directly chat and see each other online", async ({
    browser,
  }) => {
    const annName = unique("Ann");
    const bobName = unique("Bob");
    const ann = await person(browser, annName, "fox", front);
    const bob = await person(browser, bobName, "owl", nodes[1]);

    // Presence crosses servers, both ways.
    await expect(ann.page.getByTestId(`user-${bobName}`)).toBeVisible();
    await expect(bob.page.getByTestId(`user-${annName}`)).toBeVisible();

    await send(ann.page, `hello from ${annName}`);
    await expect(message(bob.page, `hello from ${annName}`)).toHaveCount(1);
    await send(bob.page, `hello from ${bobName}`);
    await expect(message(ann.page, `hello from ${bobName}`)).toHaveCount(1);

    // A reload through nginx may land on any node: the conversation is all there, once.
    await ann.page.reload();
    await expect(ann.page.getByTestId("me")).toHaveText(annName);
    await expect(message(ann.page, `hello from ${annName}`)).toHaveCount(1);
    await expect(message(ann.page, `hello from ${bobName}`)).toHaveCount(1);
    await send(ann.page, "after the reload");
    await expect(message(bob.page, "after the reload")).toHaveCount(1);

    // Logging out on one server takes the person offline on the other.
    await bob.page.getByTestId("logout").click();
    await expect(ann.page.getByTestId(`user-${bobName}`)).toHaveCount(0);
    for (const p of [ann, bob]) await p.context.close();
  });
});
