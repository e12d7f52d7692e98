//! Dependency graphs as SVG, laid out as layered (Sugiyama) drawings, left
//! to right: a service on the left calls those to its right.
//!
//! 1. Cycles are broken by reversing the back edges of a depth-first
//!    search taken in name order (the drawing still points them the right
//!    way).
//! 2. Layers by longest path, then each node with no callers moved as far
//!    right as its callees allow, so edges stay short.
//! 3. Edges longer than one layer pass through dummy nodes.
//! 4. Order within layers by barycentres, sweeping right and left, keeping
//!    the best order seen (fewest crossings).
//! 5. Positions: each node placed at the mean of its neighbours, then
//!    packed apart in layer order, alternating directions.
//! 6. Connected components are laid out on their own and packed on
//!    shelves, largest first, so 500 services make a readable sheet rather
//!    than one very long column.
//!
//! Everything is deterministic: ties break by name.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use super::html::escape;

/// A node to draw.
#[derive(Debug, Clone)]
pub struct Node {
    pub id: String,
    pub label: String,
    /// Colours nodes by group (a team); drawn also as text in the tooltip.
    pub group: String,
    /// Where the node links to, if anywhere.
    pub href: Option<String>,
    /// Drawn emphasised (the service a neighbourhood is about).
    pub focus: bool,
}

const FONT: f64 = 12.0;
const CHAR_WIDTH: f64 = 7.0;
const NODE_HEIGHT: f64 = 24.0;
const ROW_GAP: f64 = 10.0;
const LAYER_GAP: f64 = 70.0;
const MARGIN: f64 = 16.0;
const COMPONENT_GAP: f64 = 36.0;
const SHEET_WIDTH: f64 = 1400.0;

/// Fill colours for groups: light, so black text reads on each, and told
/// apart by lightness as well as hue.
const PALETTE: [&str; 12] = [
    "#cfe3f7", "#fde2c4", "#d4edd1", "#f6d0d6", "#e2d7f3", "#f9efb6", "#cdeeee", "#ecd9c9",
    "#dfe6c2", "#f3d1ec", "#d9dde3", "#c9e6da",
];

/// A group's fill colour: chosen from its name, so a team keeps its colour
/// on every page.
pub fn colour(group: &str) -> &'static str {
    let hash = group
        .bytes()
        .fold(7usize, |h, b| h.wrapping_mul(31).wrapping_add(b as usize));
    PALETTE[hash % PALETTE.len()]
}

fn width_of(label: &str) -> f64 {
    (label.chars().count() as f64 * CHAR_WIDTH + 16.0).max(48.0)
}

/// A laid-out component: node positions (centre y, left x) and edge paths.
struct Placed {
    width: f64,
    height: f64,
    /// Node index → (x, y of top-left).
    nodes: Vec<(usize, f64, f64)>,
    /// Polylines of edges, in component coordinates.
    edges: Vec<Vec<(f64, f64)>>,
}

/// Draws `nodes` with `edges` (caller → callee, by index) as an SVG
/// document with a title and description for assistive technology.
pub fn svg(nodes: &[Node], edges: &[(usize, usize)], title: &str, description: &str) -> String {
    let colour: BTreeMap<&str, &str> = nodes
        .iter()
        .map(|n| (n.group.as_str(), colour(&n.group)))
        .collect();
    let mut edges: Vec<(usize, usize)> = edges
        .iter()
        .copied()
        .filter(|(a, b)| a != b && *a < nodes.len() && *b < nodes.len())
        .collect();
    edges.sort_unstable();
    edges.dedup();

    // Connected components, each laid out on its own.
    let mut parent: Vec<usize> = (0..nodes.len()).collect();
    fn find(parent: &mut [usize], mut x: usize) -> usize {
        while parent[x] != x {
            parent[x] = parent[parent[x]];
            x = parent[x];
        }
        x
    }
    for &(a, b) in &edges {
        let (ra, rb) = (find(&mut parent, a), find(&mut parent, b));
        if ra != rb {
            parent[ra.max(rb)] = ra.min(rb);
        }
    }
    let mut components: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for node in 0..nodes.len() {
        let root = find(&mut parent, node);
        components.entry(root).or_default().push(node);
    }
    let mut placed: Vec<Placed> = Vec::new();
    let mut singles: Vec<usize> = Vec::new();
    for members in components.values() {
        if members.len() == 1 {
            singles.push(members[0]);
            continue;
        }
        let set: BTreeSet<usize> = members.iter().copied().collect();
        let local: Vec<(usize, usize)> = edges
            .iter()
            .copied()
            .filter(|(a, _)| set.contains(a))
            .collect();
        placed.push(layout(nodes, members, &local));
    }
    // Largest first; ties by the first node's name.
    placed.sort_by(|a, b| {
        (b.nodes.len(), b.height as i64)
            .cmp(&(a.nodes.len(), a.height as i64))
            .then_with(|| nodes[a.nodes[0].0].id.cmp(&nodes[b.nodes[0].0].id))
    });
    // Services with no dependencies at all, as one block of rows.
    if !singles.is_empty() {
        singles.sort_by(|a, b| nodes[*a].id.cmp(&nodes[*b].id));
        let column = singles
            .iter()
            .map(|n| width_of(&nodes[*n].label))
            .fold(0.0, f64::max);
        let per_row = ((SHEET_WIDTH / (column + ROW_GAP)).floor() as usize).max(1);
        let mut block = Placed {
            width: 0.0,
            height: 0.0,
            nodes: Vec::new(),
            edges: Vec::new(),
        };
        for (i, node) in singles.iter().enumerate() {
            let x = (i % per_row) as f64 * (column + ROW_GAP);
            let y = (i / per_row) as f64 * (NODE_HEIGHT + ROW_GAP);
            block.nodes.push((*node, x, y));
            block.width = block.width.max(x + width_of(&nodes[*node].label));
            block.height = block.height.max(y + NODE_HEIGHT);
        }
        placed.push(block);
    }

    // Shelves.
    let sheet = placed.iter().map(|p| p.width).fold(SHEET_WIDTH, f64::max);
    let mut offsets = Vec::new();
    let (mut x, mut y, mut shelf) = (0.0, 0.0, 0.0_f64);
    for part in &placed {
        if x > 0.0 && x + part.width > sheet {
            x = 0.0;
            y += shelf + COMPONENT_GAP;
            shelf = 0.0;
        }
        offsets.push((x + MARGIN, y + MARGIN));
        x += part.width + COMPONENT_GAP;
        shelf = shelf.max(part.height);
    }
    let width = placed
        .iter()
        .zip(&offsets)
        .map(|(p, (x, _))| x + p.width)
        .fold(0.0, f64::max)
        + MARGIN;
    let height = placed
        .iter()
        .zip(&offsets)
        .map(|(p, (_, y))| y + p.height)
        .fold(0.0, f64::max)
        + MARGIN;

    let mut out = String::new();
    let _ = write!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"graph\" role=\"group\" aria-labelledby=\"graph-title graph-desc\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" font-family=\"system-ui, sans-serif\" font-size=\"{FONT}\">\n<title id=\"graph-title\">{}</title>\n<desc id=\"graph-desc\">{}</desc>\n",
        escape(title),
        escape(description),
        w = num(width.max(2.0 * MARGIN)),
        h = num(height.max(2.0 * MARGIN)),
    );
    out.push_str("<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto-start-reverse\"><path d=\"M 0 0 L 10 5 L 0 10 z\" fill=\"#555\"/></marker></defs>\n<g class=\"edges\" fill=\"none\" stroke=\"#777\" stroke-width=\"1.2\">\n");
    for (part, (ox, oy)) in placed.iter().zip(&offsets) {
        for line in &part.edges {
            let mut d = String::new();
            let points: Vec<(f64, f64)> = line.iter().map(|(x, y)| (x + ox, y + oy)).collect();
            let _ = write!(d, "M{} {}", num(points[0].0), num(points[0].1));
            for pair in points.windows(2) {
                let ((x1, y1), (x2, y2)) = (pair[0], pair[1]);
                let mid = (x1 + x2) / 2.0;
                let _ = write!(
                    d,
                    " C{} {} {} {} {} {}",
                    num(mid),
                    num(y1),
                    num(mid),
                    num(y2),
                    num(x2),
                    num(y2)
                );
            }
            let _ = writeln!(out, "<path d=\"{d}\" marker-end=\"url(#arrow)\"/>");
        }
    }
    out.push_str("</g>\n<g class=\"nodes\">\n");
    for (part, (ox, oy)) in placed.iter().zip(&offsets) {
        for &(index, x, y) in &part.nodes {
            let node = &nodes[index];
            let (x, y) = (x + ox, y + oy);
            let w = width_of(&node.label);
            let fill = colour.get(node.group.as_str()).copied().unwrap_or("#eee");
            let (stroke, stroke_width) = if node.focus {
                ("#000", "2.5")
            } else {
                ("#444", "1")
            };
            let tooltip = if node.group.is_empty() {
                node.label.clone()
            } else {
                format!("{} (team {})", node.label, node.group)
            };
            let shape = format!(
                "<title>{}</title><rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" rx=\"5\" fill=\"{fill}\" stroke=\"{stroke}\" stroke-width=\"{stroke_width}\"/><text x=\"{}\" y=\"{}\" text-anchor=\"middle\"{}>{}</text>",
                escape(&tooltip),
                num(x),
                num(y),
                num(w),
                num(NODE_HEIGHT),
                num(x + w / 2.0),
                num(y + NODE_HEIGHT / 2.0 + FONT * 0.35),
                if node.focus {
                    " font-weight=\"bold\""
                } else {
                    ""
                },
                escape(&node.label)
            );
            match &node.href {
                Some(href) => {
                    let _ = writeln!(out, "<a href=\"{}\">{shape}</a>", escape(href));
                }
                None => {
                    let _ = writeln!(out, "<g>{shape}</g>");
                }
            }
        }
    }
    out.push_str("</g>\n</svg>\n");
    out
}

/// Numbers as SVG wants them: at most one decimal, no `-0`.
fn num(value: f64) -> String {
    let rounded = (value * 10.0).round() / 10.0;
    if rounded == rounded.trunc() {
        format!("{}", rounded as i64)
    } else {
        format!("{rounded:.1}")
    }
}

/// Lays out one connected component (`members`, with `edges` among them).
fn layout(nodes: &[Node], members: &[usize], edges: &[(usize, usize)]) -> Placed {
    // Local indices, in name order.
    let mut members = members.to_vec();
    members.sort_by(|a, b| nodes[*a].id.cmp(&nodes[*b].id));
    let local: BTreeMap<usize, usize> = members.iter().enumerate().map(|(i, n)| (*n, i)).collect();
    let n = members.len();
    let mut out_edges: Vec<Vec<usize>> = vec![Vec::new(); n];
    for &(a, b) in edges {
        out_edges[local[&a]].push(local[&b]);
    }
    for list in &mut out_edges {
        list.sort_unstable();
        list.dedup();
    }

    // 1. Break cycles: back edges of a DFS in name order are reversed.
    let mut state = vec![0u8; n]; // 0 new, 1 on stack, 2 done
    let mut dag: Vec<(usize, usize, bool)> = Vec::new(); // (from, to, reversed)
    for start in 0..n {
        if state[start] != 0 {
            continue;
        }
        let mut stack: Vec<(usize, usize)> = vec![(start, 0)];
        state[start] = 1;
        while let Some(&mut (node, ref mut next)) = stack.last_mut() {
            if *next < out_edges[node].len() {
                let target = out_edges[node][*next];
                *next += 1;
                match state[target] {
                    0 => {
                        dag.push((node, target, false));
                        state[target] = 1;
                        stack.push((target, 0));
                    }
                    1 => dag.push((target, node, true)),
                    _ => dag.push((node, target, false)),
                }
            } else {
                state[node] = 2;
                stack.pop();
            }
        }
    }
    let mut succ: Vec<Vec<usize>> = vec![Vec::new(); n];
    let mut pred: Vec<Vec<usize>> = vec![Vec::new(); n];
    for &(a, b, _) in &dag {
        succ[a].push(b);
        pred[b].push(a);
    }

    // 2. Longest-path layers, in topological order (Kahn, by index).
    let mut indegree: Vec<usize> = pred.iter().map(Vec::len).collect();
    let mut ready: BTreeSet<usize> = (0..n).filter(|i| indegree[*i] == 0).collect();
    let mut topo = Vec::with_capacity(n);
    while let Some(&node) = ready.iter().next() {
        ready.remove(&node);
        topo.push(node);
        for &s in &succ[node] {
            indegree[s] -= 1;
            if indegree[s] == 0 {
                ready.insert(s);
            }
        }
    }
    let mut layer = vec![0usize; n];
    for &node in &topo {
        for &s in &succ[node] {
            layer[s] = layer[s].max(layer[node] + 1);
        }
    }
    // Callers with no callers of their own sit just left of their callees.
    for &node in topo.iter().rev() {
        if pred[node].is_empty()
            && let Some(nearest) = succ[node].iter().map(|s| layer[*s]).min()
        {
            layer[node] = nearest.saturating_sub(1);
        }
    }
    let layers = layer.iter().max().map_or(1, |m| m + 1);

    // 3. Dummy nodes: each edge becomes a chain through every layer it spans.
    // Vertex ids: 0..n real, n.. dummies.
    let mut vertex_layer = layer.clone();
    let mut chains: Vec<(Vec<usize>, bool)> = Vec::new();
    let mut down: Vec<Vec<usize>> = vec![Vec::new(); n];
    for &(a, b, reversed) in &dag {
        let mut chain = vec![a];
        let mut previous = a;
        for l in layer[a] + 1..layer[b] {
            let dummy = vertex_layer.len();
            vertex_layer.push(l);
            down.push(Vec::new());
            down[previous].push(dummy);
            chain.push(dummy);
            previous = dummy;
        }
        down[previous].push(b);
        chain.push(b);
        chains.push((chain, reversed));
    }
    let total = vertex_layer.len();
    let mut up: Vec<Vec<usize>> = vec![Vec::new(); total];
    for (v, list) in down.iter().enumerate() {
        for &w in list {
            up[w].push(v);
        }
    }

    // 4. Order within layers: barycentre sweeps, keeping the best.
    let mut order: Vec<Vec<usize>> = vec![Vec::new(); layers];
    // Initial order: depth-first from the first layer, so related nodes start together.
    let mut seen = vec![false; total];
    let mut starts: Vec<usize> = (0..n).collect();
    starts.sort_by_key(|v| vertex_layer[*v]);
    for start in starts {
        let mut stack = vec![start];
        while let Some(v) = stack.pop() {
            if seen[v] {
                continue;
            }
            seen[v] = true;
            order[vertex_layer[v]].push(v);
            for &w in down[v].iter().rev() {
                if !seen[w] {
                    stack.push(w);
                }
            }
        }
    }
    let mut position = vec![0usize; total];
    let set_positions = |order: &Vec<Vec<usize>>, position: &mut Vec<usize>| {
        for row in order {
            for (i, v) in row.iter().enumerate() {
                position[*v] = i;
            }
        }
    };
    set_positions(&order, &mut position);
    let mut best = order.clone();
    let mut best_crossings = crossings(&order, &down, &position);
    for sweep in 0..8 {
        let rightwards = sweep % 2 == 0;
        let range: Vec<usize> = if rightwards {
            (1..layers).collect()
        } else {
            (0..layers.saturating_sub(1)).rev().collect()
        };
        for l in range {
            let mut keyed: Vec<(f64, usize, usize)> = order[l]
                .iter()
                .map(|&v| {
                    let neighbours = if rightwards { &up[v] } else { &down[v] };
                    let key = if neighbours.is_empty() {
                        position[v] as f64
                    } else {
                        neighbours.iter().map(|w| position[*w] as f64).sum::<f64>()
                            / neighbours.len() as f64
                    };
                    (key, position[v], v)
                })
                .collect();
            keyed.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            order[l] = keyed.into_iter().map(|(_, _, v)| v).collect();
            for (i, v) in order[l].iter().enumerate() {
                position[*v] = i;
            }
        }
        let count = crossings(&order, &down, &position);
        if count < best_crossings {
            best_crossings = count;
            best = order.clone();
        }
    }
    let order = best;
    set_positions(&order, &mut position);

    // 5. Coordinates. x by layer (each layer as wide as its widest label);
    // y packed in order, pulled towards neighbours.
    let vertex_width = |v: usize| {
        if v < n {
            width_of(&nodes[members[v]].label)
        } else {
            0.0
        }
    };
    let column: Vec<f64> = order
        .iter()
        .map(|row| row.iter().map(|v| vertex_width(*v)).fold(0.0, f64::max))
        .collect();
    let mut layer_x = vec![0.0; layers];
    for l in 1..layers {
        layer_x[l] = layer_x[l - 1] + column[l - 1] + LAYER_GAP;
    }
    let step = NODE_HEIGHT + ROW_GAP;
    let gap_of = |v: usize| if v < n { step } else { step / 2.0 };
    let mut y = vec![0.0; total];
    for row in &order {
        let mut at = 0.0;
        for &v in row {
            y[v] = at;
            at += gap_of(v);
        }
    }
    for round in 0..6 {
        let rightwards = round % 2 == 0;
        let range: Vec<usize> = if rightwards {
            (0..layers).collect()
        } else {
            (0..layers).rev().collect()
        };
        for l in range {
            let row = &order[l];
            let desired: Vec<f64> = row
                .iter()
                .map(|&v| {
                    let neighbours: Vec<usize> = up[v].iter().chain(&down[v]).copied().collect();
                    if neighbours.is_empty() {
                        y[v]
                    } else {
                        neighbours.iter().map(|w| y[*w]).sum::<f64>() / neighbours.len() as f64
                    }
                })
                .collect();
            // Pack in order, each as close to its wish as the one above allows,
            // then shift the run back up where that leaves room.
            let mut placed = desired.clone();
            for i in 1..row.len() {
                let min = placed[i - 1] + gap_of(row[i - 1]);
                if placed[i] < min {
                    placed[i] = min;
                }
            }
            for i in (0..row.len().saturating_sub(1)).rev() {
                let max = placed[i + 1] - gap_of(row[i]);
                if placed[i] > max {
                    placed[i] = max.max(desired[i].min(placed[i]));
                }
            }
            for i in 1..row.len() {
                let min = placed[i - 1] + gap_of(row[i - 1]);
                if placed[i] < min {
                    placed[i] = min;
                }
            }
            for (i, v) in row.iter().enumerate() {
                y[*v] = placed[i];
            }
        }
    }
    let top = (0..total).map(|v| y[v]).fold(f64::INFINITY, f64::min);
    for value in &mut y {
        *value -= top;
    }
    let height = (0..total)
        .map(|v| y[v] + if v < n { NODE_HEIGHT } else { 0.0 })
        .fold(0.0, f64::max);
    let width = layer_x[layers - 1] + column[layers - 1];

    let centre = |v: usize| y[v] + NODE_HEIGHT / 2.0;
    let left = |v: usize| layer_x[vertex_layer[v]];
    let right = |v: usize| layer_x[vertex_layer[v]] + vertex_width(v);
    let mut lines = Vec::new();
    for (chain, reversed) in chains {
        let mut points = Vec::new();
        for (i, &v) in chain.iter().enumerate() {
            if v >= n {
                points.push((left(v) + column[vertex_layer[v]] / 2.0, centre(v)));
            } else if i == 0 {
                points.push((right(v), centre(v)));
            } else {
                points.push((left(v), centre(v)));
            }
        }
        if reversed {
            points.reverse();
        }
        lines.push(points);
    }
    Placed {
        width,
        height,
        nodes: (0..n)
            .map(|v| (members[v], layer_x[vertex_layer[v]], y[v]))
            .collect(),
        edges: lines,
    }
}

/// Edge crossings between adjacent layers.
pub fn crossings(order: &[Vec<usize>], down: &[Vec<usize>], position: &[usize]) -> usize {
    let mut count = 0;
    for row in order {
        let mut ends: Vec<(usize, usize)> = Vec::new();
        for &v in row {
            for &w in &down[v] {
                ends.push((position[v], position[w]));
            }
        }
        ends.sort_unstable();
        // Inversions of the far ends, counted with a Fenwick tree.
        let size = ends.iter().map(|e| e.1).max().map_or(0, |m| m + 1);
        let mut tree = vec![0usize; size + 1];
        for (seen, &(_, b)) in ends.iter().enumerate() {
            let mut at = b + 1;
            let mut not_greater = 0;
            while at > 0 {
                not_greater += tree[at];
                at &= at - 1;
            }
            count += seen - not_greater;
            let mut at = b + 1;
            while at <= size {
                tree[at] += 1;
                at += at & at.wrapping_neg();
            }
        }
    }
    count
}
