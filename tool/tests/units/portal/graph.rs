use paved::portal::graph::*;

fn node(id: &str) -> Node {
    Node {
        id: id.into(),
        label: id.into(),
        group: "t".into(),
        href: None,
        focus: false,
    }
}

#[test]
fn layers_follow_calls_and_cycles_do_not_hang() {
    let nodes: Vec<Node> = ["a", "b", "c", "d"].into_iter().map(node).collect();
    let svg = svg(&nodes, &[(0, 1), (1, 2), (2, 0), (0, 3)], "t", "d");
    assert!(svg.starts_with("<svg"));
    assert_eq!(svg.matches("<rect").count(), 4);
    assert_eq!(svg.matches("marker-end").count(), 4);
}

#[test]
fn crossings_are_counted() {
    // a→d, b→c with a above b and c above d: one crossing.
    let order = vec![vec![0, 1], vec![2, 3]];
    let down = vec![vec![3], vec![2], vec![], vec![]];
    let position = vec![0, 1, 0, 1];
    assert_eq!(crossings(&order, &down, &position), 1);
}

/// The dependency graph of 500 services (the synthetic organisation's
/// shape: teams of ten, each service calling its team's first gRPC
/// service before it) is packed into a sheet, with no two boxes
/// overlapping.
#[test]
fn the_graph_of_500_services_is_laid_out_on_a_readable_sheet() {
    let nodes: Vec<Node> = (0..500)
        .map(|index| Node {
            group: format!("team-{:04}", index / 10),
            ..node(&format!("svc-{index:05}"))
        })
        .collect();
    // Of the four golden paths in turn, the second is the gRPC service.
    let edges: Vec<(usize, usize)> = (0..500)
        .filter_map(|index| {
            let target = (index - index % 10..index).find(|i| i % 4 == 1)?;
            Some((index, target))
        })
        .collect();
    let svg = svg(&nodes, &edges, "Dependencies", "500 services");
    assert_eq!(svg.matches("<rect").count(), 500);
    let size = |name: &str| -> f64 {
        let at = svg.find(&format!(" {name}=\"")).unwrap() + name.len() + 3;
        svg[at..].split('"').next().unwrap().parse().unwrap()
    };
    // Packed into a sheet, not one endless column or row.
    assert!(size("width") <= 1600.0, "width {}", size("width"));
    assert!(size("height") <= 6000.0, "height {}", size("height"));
    // No two boxes overlap.
    let mut boxes = Vec::new();
    for rect in svg.split("<rect ").skip(1) {
        let attr = |name: &str| -> f64 {
            let at = rect.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
            rect[at..].split('"').next().unwrap().parse().unwrap()
        };
        boxes.push((attr("x"), attr("y"), attr("width"), attr("height")));
    }
    boxes.sort_by(|a, b| a.0.total_cmp(&b.0));
    for (i, a) in boxes.iter().enumerate() {
        for b in &boxes[i + 1..] {
            if b.0 >= a.0 + a.2 {
                break;
            }
            let overlap = a.1 < b.1 + b.3 && b.1 < a.1 + a.3;
            assert!(!overlap, "boxes overlap: {a:?} {b:?}");
        }
    }
}
