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
